// One job submission, the same for generations and edits: moderation,
// idempotency, admission (the concurrency slot, jobs/slots.ts), enqueue, then
// the answer the client chose: the image (held until the job ends), SSE, or 202 for clients that opted into async.
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { streamSSE } from 'hono/streaming';
import { config, type GatewayConfig } from '../config.js';
import type { AppEnv } from '../env.js';
import { ApiError, InvalidRequestError } from '../errors.js';
import { moderateSubmission } from '../moderation.js';
import type { EnqueueResult, QueueShard } from '../objects/queue-shard.js';
import { jobIdInShard, newJobId, shardCount, shardForJob, shardStub } from '../queue.js';
import { jobTraceparent } from '../tracing.js';
import { checkWebhookAddress } from '../webhooks.js';
import type { ImageSize, Quality } from '../../protocol/images.js';
import type { GenerationParams } from '../../protocol/jobs.js';
import { sha256Hex } from '../../protocol/signature.js';
import { accepted, finishedResponse, publicJob, streamGeneration } from './answers.js';
import { holdForResult } from './hold.js';
import { admitGeneration } from './slots.js';

/** RFC 7240 `Prefer`: `respond-async` and `wait=<seconds>`, as Replicate uses them. */
export function parsePrefer(header: string | undefined): { respondAsync: boolean; waitSeconds: number | null } {
  let respondAsync = false;
  let waitSeconds: number | null = null;
  for (const token of (header ?? '').split(/[,;]/).map((part) => part.trim().toLowerCase())) {
    if (token === 'respond-async') respondAsync = true;
    const wait = /^wait\s*=\s*(\d{1,5})$/.exec(token);
    if (wait?.[1]) waitSeconds = Number(wait[1]);
  }
  return { respondAsync, waitSeconds };
}

/** The Idempotency-Key header, checked; undefined when the request has none. */
function idempotencyKeyOf(c: Context<AppEnv>): string | undefined {
  const key = c.req.header('idempotency-key');
  if (key !== undefined && !/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new InvalidRequestError('Idempotency-Key must be 1–255 visible ASCII characters.', 'Idempotency-Key');
  }
  return key || undefined;
}

/** The key, not chance, picks the shard, so a retry lands where the first attempt is recorded. */
async function idempotencyShard(tenantId: string, key: string, shards: number): Promise<number> {
  const keyHash = await sha256Hex(`${tenantId}\n${key}`);
  return parseInt(keyHash.slice(0, 8), 16) % shards;
}

function idempotencyKeyReused(): ApiError {
  return new ApiError(422, 'invalid_request_error', 'This Idempotency-Key was already used with a different request body.', 'idempotency_key_reused', 'Idempotency-Key');
}

/**
 * Looks a POST's Idempotency-Key up before the rate limit and admission run:
 * a retry of a recorded request must get its first attempt's answer, not a
 * 429 for the job it already has. submitJob compares the bodies.
 */
export const idempotentRetryLookup = createMiddleware<AppEnv>(async function idempotentRetryLookup(c, next) {
  const key = c.req.method === 'POST' ? idempotencyKeyOf(c) : undefined;
  if (key !== undefined) {
    const tenantId = c.get('tenant').id;
    const shard = await idempotencyShard(tenantId, key, shardCount(c.env));
    c.set('idempotencyKey', { key, shard });
    const found = await shardStub(c.env, shard).findIdempotent(tenantId, key);
    if (found.outcome === 'recorded') c.set('idempotentRetry', found);
  }
  await next();
});

/**
 * 503 for a request the queue would make wait longer than it can be held; nothing is queued.
 * The SDKs retry a 503 by themselves, honouring Retry-After below 60 s; a longer one would only
 * be replaced by their half-second backoff against the same queue, so they are told not to retry.
 */
function holdTooLong(estimatedWaitMs: number, holdMaxMs: number): ApiError {
  const retryAfter = Math.max(1, Math.ceil((estimatedWaitMs - holdMaxMs) / 1000));
  return new ApiError(
    503,
    'server_error',
    `The queue is too long to hold this request: the estimated wait is ${Math.ceil(estimatedWaitMs / 1000)} s, the longest a request is held ${Math.round(holdMaxMs / 1000)} s. Retry after ${retryAfter} s, or send 'Prefer: respond-async' to queue it and poll.`,
    'queue_wait_too_long',
    null,
    { 'Retry-After': String(retryAfter), ...(retryAfter >= 60 && { 'x-should-retry': 'false' }) },
  );
}

/**
 * The longest a `Prefer: wait=N` request is held: N seconds, at most SYNC_WAIT_MS, and for free
 * work under admission at most FREE_SYNC_MAX_WAIT_MS, the wait past which free work is deferred.
 */
export function syncBudgetMs(waitSeconds: number, free: boolean, settings: Pick<GatewayConfig, 'syncWaitMs' | 'admission' | 'freeSyncMaxWaitMs'>): number {
  const budgetMs = Math.min(waitSeconds * 1000, settings.syncWaitMs);
  return free && settings.admission ? Math.min(budgetMs, settings.freeSyncMaxWaitMs) : budgetMs;
}

/** A validated request for one job: a generation or an edit. */
export interface Submission {
  params: GenerationParams;
  /** What an Idempotency-Key compares: the same key with another fingerprint is a 422. */
  fingerprint: string;
  n: number;
  size: ImageSize | 'auto';
  quality: Quality;
  stream: boolean;
  responseFormat: 'b64_json' | 'url';
  webhookUrl?: string;
  /** Stores the request's uploads (edits); called once it is admitted, so a refused or replayed request stores nothing. */
  storeInputs?: () => Promise<void>;
}

/**
 * Admits and enqueues a job, then answers as the client and admission chose: the image (the request held
 * until the job ends), an SSE stream, or, for a client that opted into async, 202 with the job's status URL:
 * at once for `respond-async` or a `Prefer: wait` budget the estimate already exceeds, else once the budget runs out.
 */
export async function submitJob(c: Context<AppEnv>, submission: Submission): Promise<Response> {
  // A `Prefer: wait` budget counts from here.
  const receivedAt = Date.now();
  // First of all: a refused prompt takes no token, slot or queue entry, and is refused before any stream or 202.
  await moderateSubmission(c, submission);
  const { params } = submission;
  const tenant = c.get('tenant');
  const prefer = parsePrefer(c.req.header('prefer'));
  const env = c.env;
  const settings = config(env);
  // Held until the job ends (holdForResult): the client opted into neither a 202 nor a stream.
  const held = !prefer.respondAsync && prefer.waitSeconds === null && !submission.stream;

  let webhookUrl: string | undefined;
  if (submission.webhookUrl !== undefined) {
    const verdict = checkWebhookAddress(submission.webhookUrl, settings.webhookAllowedHosts);
    if (!verdict.ok) throw new InvalidRequestError(`Invalid 'webhook_url': it ${verdict.reason}.`, 'webhook_url', 'invalid_value');
    webhookUrl = verdict.url.href;
  }

  // Checked and hashed to its shard by idempotentRetryLookup, which runs before every submission.
  const idempotencyKey = c.get('idempotencyKey');
  const idempotency = idempotencyKey === undefined ? undefined : { key: idempotencyKey.key, bodyHash: await sha256Hex(submission.fingerprint) };
  const retry = c.get('idempotentRetry');
  let shard: DurableObjectStub<QueueShard>;
  let admitted: EnqueueResult;
  if (retry) {
    // A retry of a recorded request: answered from its job, with no token, slot or queue entry taken.
    if (retry.bodyHash !== idempotency?.bodyHash) throw idempotencyKeyReused();
    shard = shardForJob(c, retry.job.id)!;
    admitted = { outcome: 'replayed', job: retry.job, estimatedWaitMs: retry.estimatedWaitMs };
  } else {
    const id = idempotencyKey === undefined ? newJobId(shardCount(env)) : jobIdInShard(idempotencyKey.shard);
    shard = shardForJob(c, id)!;
    const queueLimit = tenant.tier === 'free' ? settings.queueLimitFree : settings.queueLimitPaid;
    // Plan limits (n, size, quality), the image bucket and a concurrency slot, held until the job ends.
    const slot = await admitGeneration(c, submission.n, submission.size, submission.quality, id);
    try {
      await submission.storeInputs?.();
      // A held client cannot wait past HOLD_MAX_MS, so a job estimated to take longer is refused before it is queued.
      const maxWaitMs = held ? settings.holdMaxMs : undefined;
      admitted = await shard.enqueue({ id, tenantId: tenant.id, tier: tenant.tier, params, queueLimit, idempotency, webhookUrl, maxWaitMs, traceparent: jobTraceparent(c) });
    } catch (error) {
      await slot.noJob('charged');
      throw error;
    }
    // Once a job exists its shard frees the slot when it ends; here only the paths that made no job give it back.
    // An identical first attempt won the race: this request created nothing, so it is charged nothing.
    if (admitted.outcome === 'replayed' || admitted.outcome === 'conflict') await slot.noJob('refunded');
    // A full queue created no job either, so nothing else will free the slot.
    if (admitted.outcome === 'full') await slot.noJob('charged');
    // Nor did a wait too long to hold; the SDK retries it by itself, so it is not charged.
    if (admitted.outcome === 'too_slow') await slot.noJob('refunded');
  }

  if (admitted.outcome === 'conflict') throw idempotencyKeyReused();
  if (admitted.outcome === 'full') {
    const retryAfter = Math.ceil((admitted.retryAfterMs * (0.8 + Math.random() * 0.4)) / 1000);
    throw new ApiError(503, 'server_error', `The ${tenant.tier} tier's queue is full. Retry after ${retryAfter} s.`, 'queue_full', null, {
      'Retry-After': String(retryAfter),
    });
  }
  if (admitted.outcome === 'too_slow') throw holdTooLong(admitted.estimatedWaitMs, settings.holdMaxMs);
  const { job, estimatedWaitMs } = admitted;
  // Every answer names its job, errors included, so a client can look it up, cancel it or quote it to support.
  c.header('Lumen-Job-Id', job.id);
  if (admitted.outcome === 'replayed') c.header('Idempotent-Replayed', 'true');

  const freeDeferral = settings.admission && tenant.tier === 'free' && estimatedWaitMs > settings.freeSyncMaxWaitMs;
  const waitBudgetMs = prefer.waitSeconds === null || prefer.respondAsync || submission.stream ? null : syncBudgetMs(prefer.waitSeconds, tenant.tier === 'free', settings) - (Date.now() - receivedAt);
  // A client that set a budget and whose job cannot end within it is answered now rather than when the budget is spent.
  const budgetDeferral = waitBudgetMs !== null && estimatedWaitMs > waitBudgetMs;
  const deferred = waitBudgetMs === null ? freeDeferral : budgetDeferral;
  // Tells clients (and operators reading logs) which admission path the request took: a held deferred job waits
  // behind paid work; a deferred `Prefer: wait` request got its 202 at once.
  c.header('Lumen-Admission', prefer.respondAsync ? 'async' : deferred ? 'deferred' : 'sync');
  if (submission.stream) {
    return streamSSE(c, (stream) => streamGeneration(c, shard, job, stream));
  }
  if (prefer.respondAsync || budgetDeferral) {
    if (prefer.respondAsync) c.header('Preference-Applied', 'respond-async');
    return accepted(c, await publicJob(c, job, estimatedWaitMs), estimatedWaitMs);
  }
  if (waitBudgetMs !== null) {
    // RFC 7240 lets a server answer 202 once `wait` runs out; only clients that know Lumen send it.
    const finished = await shard.waitForJob(job.id, Math.max(0, waitBudgetMs));
    if (!finished) throw new Error(`job ${job.id} vanished from its shard`);
    if (finished.status === 'queued' || finished.status === 'running') {
      const remaining = (await shard.estimateWait(job.id)) ?? 5_000;
      return accepted(c, await publicJob(c, finished, remaining), remaining);
    }
    return finishedResponse(c, finished, submission.responseFormat);
  }
  // Everyone else (the official SDKs) can parse only an ImagesResponse or an error: hold the request until the job ends.
  return holdForResult(c, shard, job, submission.responseFormat, settings);
}
