import { Hono, type Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { encodeBase64 } from 'hono/utils/encode';
import { z } from 'zod';
import { numberVar, type AppEnv } from '../env.js';
import {
  ApiError,
  ConflictError,
  GenerationFailedError,
  GenerationRejectedError,
  InvalidRequestError,
  NotFoundError,
  parseRequest,
  PayloadTooLargeError,
} from '../errors.js';
import { apiKeyAuth } from '../middleware/auth.js';
import { admitGeneration, rateLimit } from '../middleware/rate-limit.js';
import { moderateSubmission } from '../moderation.js';
import type { EnqueueResult, JobView, QueueShard } from '../objects/queue-shard.js';
import { canonicalJson } from '../protocol/canonical-json.js';
import type { GenerationParams, JobError } from '../protocol/jobs.js';
import { sha256Hex } from '../protocol/signature.js';
import { jobIdInShard, newJobId, shardCount, shardForJob, shardStub } from '../queue.js';
import { signImageUrl } from '../signed-urls.js';
import { checkWebhookAddress, webhookAllowedHosts } from '../webhooks.js';
import { imageIdOf, MAX_EDIT_BODY_BYTES, parseEditRequest } from './edits.js';

/** JSON bodies above this are refused before they are buffered. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

const SIZES = {
  '1024x1024': [1024, 1024],
  '1536x1024': [1536, 1024],
  '1024x1536': [1024, 1536],
  '512x512': [512, 512],
  '256x256': [256, 256],
} as const satisfies Record<string, readonly [number, number]>;
type Size = keyof typeof SIZES;

const generationRequest = z
  .object({
    prompt: z.string({ required_error: 'prompt is required.' }).trim().min(1, 'prompt must not be empty.').max(32_000),
    model: z.string().max(64).optional(),
    n: z.number().int().min(1).max(10).default(1),
    size: z.enum(['auto', ...(Object.keys(SIZES) as [Size, ...Size[]])]).default('auto'),
    quality: z.enum(['auto', 'low', 'medium', 'high']).default('auto'),
    output_format: z.enum(['png', 'jpeg', 'webp']).default('png'),
    output_compression: z.number().int().min(0).max(100).default(100),
    response_format: z.enum(['b64_json', 'url']).default('b64_json'),
    background: z.enum(['auto', 'opaque']).optional(),
    moderation: z.enum(['auto', 'low']).optional(),
    user: z.string().max(256).optional(),
    stream: z.boolean().default(false),
    partial_images: z.number().int().min(0).max(3).default(0),
    /** Lumen extension: the same seed and parameters render the same picture. */
    seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
    /** Lumen extension: POST the outcome here (Standard Webhooks). */
    webhook_url: z.string().max(2048).optional(),
  })
  .strict();

type GenerationRequest = z.infer<typeof generationRequest>;

function toParams(body: GenerationRequest): GenerationParams {
  const [width, height] = SIZES[body.size === 'auto' ? '1024x1024' : body.size];
  return {
    prompt: body.prompt,
    n: body.n,
    width,
    height,
    quality: body.quality,
    outputFormat: body.output_format,
    outputCompression: body.output_compression,
    seed: body.seed ?? crypto.getRandomValues(new Uint32Array(1))[0]! >>> 1,
    partialImages: body.stream ? body.partial_images : 0,
    moderation: body.moderation ?? 'auto',
  };
}

async function readJson(c: Context<AppEnv>): Promise<{ raw: unknown; text: string }> {
  const type = c.req.header('content-type') ?? '';
  if (!type.toLowerCase().includes('application/json')) {
    throw new InvalidRequestError('Send the request body as JSON with "Content-Type: application/json".');
  }
  const text = await c.req.text();
  try {
    return { raw: JSON.parse(text) as unknown, text };
  } catch {
    throw new InvalidRequestError('The request body is not valid JSON.');
  }
}

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
const idempotentRetryLookup = createMiddleware<AppEnv>(async function idempotentRetryLookup(c, next) {
  const key = c.req.method === 'POST' ? idempotencyKeyOf(c) : undefined;
  if (key !== undefined) {
    const tenantId = c.get('tenant').id;
    const found = await shardStub(c.env, await idempotencyShard(tenantId, key, shardCount(c.env))).findIdempotent(tenantId, key);
    if (found.outcome === 'recorded') c.set('idempotentRetry', found);
  }
  await next();
});

const INPUT_ERROR_CODES = new Set(['invalid_image', 'invalid_mask', 'image_too_large', 'image_too_many_pixels']);

function errorOf(job: JobView): ApiError {
  const error: JobError = job.error ?? { message: `The job ended as ${job.status}.`, code: job.status, clientError: false };
  if (job.status === 'cancelled') return new ConflictError(error.message, 'job_cancelled');
  if (!error.clientError) return new GenerationFailedError(error.message);
  // An upload the origin could not decode is a bad request like any other, not a generation refusal.
  if (INPUT_ERROR_CODES.has(error.code)) return new InvalidRequestError(error.message, error.code === 'invalid_mask' ? 'mask' : 'image', error.code);
  return new GenerationRejectedError(error.message, error.code, error.moderation);
}

async function publicJob(c: Context<AppEnv>, job: JobView, estimatedWaitMs?: number) {
  const origin = new URL(c.req.url).origin;
  return {
    id: job.id,
    object: 'image.generation.job',
    status: job.status,
    queue_position: job.queuePosition,
    estimated_wait_seconds: estimatedWaitMs === undefined ? undefined : Math.ceil(estimatedWaitMs / 1000),
    passes_done: job.passesDone,
    attempt: job.attempt,
    created_at: Math.floor(job.createdAt / 1000),
    error: job.error && { message: job.error.message, code: job.error.code },
    data: job.result ? await Promise.all(job.result.images.map(async (image) => ({ url: await signImageUrl(c.env, origin, image.key) }))) : null,
    urls: {
      get: `${origin}/v1/images/jobs/${job.id}`,
      events: `${origin}/v1/images/jobs/${job.id}/events`,
      cancel: `${origin}/v1/images/jobs/${job.id}/cancel`,
    },
  };
}

function accepted(c: Context<AppEnv>, body: Awaited<ReturnType<typeof publicJob>>, estimatedWaitMs: number): Response {
  c.header('Location', `/v1/images/jobs/${body.id}`);
  c.header('Retry-After', String(Math.min(3600, Math.max(1, Math.ceil(estimatedWaitMs / 1000)))));
  return c.json(body, 202);
}

async function finishedResponse(c: Context<AppEnv>, job: JobView, responseFormat: GenerationRequest['response_format']): Promise<Response> {
  if (job.status !== 'succeeded' || !job.result) throw errorOf(job);
  const origin = new URL(c.req.url).origin;
  const data = await Promise.all(
    job.result.images.map(async (image) => {
      // Lumen extension: the id to edit this output by (`image_id` on /v1/images/edits).
      const imageId = imageIdOf(job.id, image.index);
      if (responseFormat === 'url') return { url: await signImageUrl(c.env, origin, image.key), image_id: imageId };
      const object = await c.env.IMAGES.get(image.key);
      if (!object) throw new Error(`image ${image.key} of job ${job.id} is missing from R2`);
      return { b64_json: encodeBase64(await object.arrayBuffer()), image_id: imageId };
    }),
  );
  const { params } = job;
  return c.json({
    created: Math.floor(job.updatedAt / 1000),
    data,
    background: 'opaque',
    output_format: params.outputFormat,
    quality: params.quality,
    size: `${params.width}x${params.height}`,
    usage: usageOf(job),
  });
}

function usageOf(job: JobView) {
  const { inputTokens, outputTokens } = job.result?.usage ?? { inputTokens: 0, outputTokens: 0 };
  return {
    input_tokens: inputTokens,
    output_tokens: outputTokens,
    total_tokens: inputTokens + outputTokens,
    input_tokens_details: { text_tokens: inputTokens, image_tokens: 0 },
  };
}

/** One (image, partial index) pair of a `partial_image` event: each is sent at most once per stream, whatever attempt rendered it. */
const partialKey = (data: Readonly<Record<string, unknown>>) => `${Number(data.imageIndex ?? 0)}:${Number(data.partialImageIndex)}`;

/**
 * Streams a job in the event format of OpenAI's image streaming, which the official SDK parses.
 * When the job's worker is lost and the job is requeued, the stream stays open:
 * a Lumen `<kind>.requeued` event says so, then the resumed attempt's passes follow.
 * The official SDK yields events of types it does not know as they are, without throwing.
 */
async function streamGeneration(c: Context<AppEnv>, shard: DurableObjectStub<QueueShard>, job: JobView, stream: SSEStreamingApi): Promise<void> {
  const { params } = job;
  const common = { size: `${params.width}x${params.height}`, quality: params.quality, background: 'opaque', output_format: params.outputFormat };
  const tenantId = c.get('tenant').id;
  // Edits stream under OpenAI's image_edit.* names, generations under image_generation.*.
  const kind = params.edit ? 'image_edit' : 'image_generation';
  // The shard records each partial once; this guards the client against a repeat all the same.
  const sentPartials = new Set<string>();
  let after = 0;
  for (;;) {
    const batch = await shard.events(job.id, tenantId, after, 15_000);
    if (!batch) return;
    if (batch.events.length === 0) {
      await stream.write(': keep-alive\n\n');
      continue;
    }
    for (const event of batch.events) {
      after = event.seq;
      if (event.type === 'requeued') {
        await stream.writeSSE({
          event: `${kind}.requeued`,
          data: JSON.stringify({
            type: `${kind}.requeued`,
            job_id: job.id,
            attempt: Number(event.data.attempt),
            resume_from_pass: Number(event.data.resumeAfterPass),
            attempt_spent: event.data.attemptSpent !== false,
            reason: String(event.data.reason),
            created_at: Math.floor(event.createdAt / 1000),
          }),
        });
      } else if (event.type === 'partial_image') {
        if (sentPartials.has(partialKey(event.data))) continue;
        const object = await c.env.IMAGES.get(String(event.data.key));
        if (!object) continue;
        sentPartials.add(partialKey(event.data));
        await stream.writeSSE({
          event: `${kind}.partial_image`,
          data: JSON.stringify({
            type: `${kind}.partial_image`,
            b64_json: encodeBase64(await object.arrayBuffer()),
            created_at: Math.floor(event.createdAt / 1000),
            partial_image_index: Number(event.data.partialImageIndex),
            ...common,
            output_format: 'webp',
          }),
        });
      } else if (event.type === 'completed' || event.type === 'failed' || event.type === 'cancelled') {
        const finished = await shard.get(job.id, tenantId);
        if (finished?.status === 'succeeded' && finished.result) {
          for (const image of finished.result.images) {
            const object = await c.env.IMAGES.get(image.key);
            if (!object) continue;
            await stream.writeSSE({
              event: `${kind}.completed`,
              data: JSON.stringify({
                type: `${kind}.completed`,
                b64_json: encodeBase64(await object.arrayBuffer()),
                image_id: imageIdOf(finished.id, image.index),
                created_at: Math.floor(finished.updatedAt / 1000),
                usage: usageOf(finished),
                ...common,
              }),
            });
          }
        } else if (finished) {
          await stream.writeSSE({ event: 'error', data: JSON.stringify({ type: 'error', ...errorOf(finished).toBody() }) });
        }
        return;
      }
    }
  }
}

/** A validated request for one job: a generation or an edit. */
export interface Submission {
  params: GenerationParams;
  /** What an Idempotency-Key compares: the same key with another fingerprint is a 422. */
  fingerprint: string;
  n: number;
  size: 'auto' | Size;
  quality: GenerationParams['quality'];
  stream: boolean;
  responseFormat: 'b64_json' | 'url';
  webhookUrl?: string;
  /** Stores the request's uploads (edits); called once it is admitted, so a refused or replayed request stores nothing. */
  storeInputs?: () => Promise<void>;
}

/**
 * Admits and enqueues a job, then answers as the client and admission chose:
 * synchronously, as an SSE stream, or 202 with the job's status URL.
 */
export async function submitJob(c: Context<AppEnv>, submission: Submission): Promise<Response> {
  // First of all: a refused prompt takes no token, slot or queue entry, and is refused before any stream or 202.
  await moderateSubmission(c, submission);
  const { params } = submission;
  const tenant = c.get('tenant');
  const prefer = parsePrefer(c.req.header('prefer'));
  const env = c.env;

  let webhookUrl: string | undefined;
  if (submission.webhookUrl !== undefined) {
    const verdict = checkWebhookAddress(submission.webhookUrl, webhookAllowedHosts(env));
    if (!verdict.ok) throw new InvalidRequestError(`Invalid 'webhook_url': it ${verdict.reason}.`, 'webhook_url', 'invalid_value');
    webhookUrl = verdict.url.href;
  }

  const idempotencyKey = idempotencyKeyOf(c);
  const idempotency = idempotencyKey === undefined ? undefined : { key: idempotencyKey, bodyHash: await sha256Hex(submission.fingerprint) };
  const retry = c.get('idempotentRetry');
  let shard: DurableObjectStub<QueueShard>;
  let admitted: EnqueueResult;
  if (retry) {
    // A retry of a recorded request: answered from its job, with no token, slot or queue entry taken.
    if (retry.bodyHash !== idempotency?.bodyHash) throw idempotencyKeyReused();
    shard = shardForJob(c, retry.job.id)!;
    admitted = { outcome: 'replayed', job: retry.job, estimatedWaitMs: retry.estimatedWaitMs };
  } else {
    const shards = shardCount(env);
    const id = idempotencyKey === undefined ? newJobId(shards) : jobIdInShard(await idempotencyShard(tenant.id, idempotencyKey, shards));
    shard = shardForJob(c, id)!;
    const queueLimit = Math.floor(numberVar(tenant.tier === 'free' ? env.QUEUE_LIMIT_FREE : env.QUEUE_LIMIT_PAID, tenant.tier === 'free' ? 5_000 : 1_000));
    // Plan limits (n, size, quality), the image bucket and a concurrency slot, held until the job ends.
    const slot = await admitGeneration(c, submission.n, submission.size, submission.quality, id);
    try {
      await submission.storeInputs?.();
      admitted = await shard.enqueue({ id, tenantId: tenant.id, tier: tenant.tier, params, queueLimit, idempotency, webhookUrl });
    } catch (error) {
      await slot.release();
      throw error;
    }
    // An identical first attempt won the race: this request created nothing, so it is charged nothing.
    if (admitted.outcome === 'replayed' || admitted.outcome === 'conflict') await slot.refund();
    // A full queue created no job either, so nothing will free the slot later.
    if (admitted.outcome === 'full') await slot.release();
  }

  if (admitted.outcome === 'conflict') throw idempotencyKeyReused();
  if (admitted.outcome === 'full') {
    const retryAfter = Math.ceil((admitted.retryAfterMs * (0.8 + Math.random() * 0.4)) / 1000);
    throw new ApiError(503, 'server_error', `The ${tenant.tier} tier's queue is full. Retry after ${retryAfter} s.`, 'queue_full', null, {
      'Retry-After': String(retryAfter),
    });
  }
  const { job, estimatedWaitMs } = admitted;
  // Every answer names its job, errors included, so a client can look it up, cancel it or quote it to support.
  c.header('Lumen-Job-Id', job.id);
  if (admitted.outcome === 'replayed') c.header('Idempotent-Replayed', 'true');

  const admissionOn = env.ADMISSION !== 'off';
  const freeDeferral = admissionOn && tenant.tier === 'free' && estimatedWaitMs > numberVar(env.FREE_SYNC_MAX_WAIT_MS, 10_000);
  // Tells clients (and operators reading logs) which admission path the request took.
  c.header('Lumen-Admission', prefer.respondAsync ? 'async' : freeDeferral && !submission.stream ? 'deferred' : 'sync');
  if ((prefer.respondAsync || freeDeferral) && !submission.stream) {
    if (prefer.respondAsync) c.header('Preference-Applied', 'respond-async');
    return accepted(c, await publicJob(c, job, estimatedWaitMs), estimatedWaitMs);
  }
  if (submission.stream) {
    return streamSSE(c, (stream) => streamGeneration(c, shard, job, stream));
  }

  const maxWaitMs = numberVar(env.SYNC_WAIT_MS, 120_000);
  const waitMs = prefer.waitSeconds === null ? maxWaitMs : Math.min(maxWaitMs, prefer.waitSeconds * 1000);
  const finished = await shard.waitForJob(job.id, waitMs);
  if (!finished) throw new Error(`job ${job.id} vanished from its shard`);
  if (finished.status === 'queued' || finished.status === 'running') {
    const remaining = (await shard.estimateWait(job.id)) ?? 5_000;
    return accepted(c, await publicJob(c, finished, remaining), remaining);
  }
  return finishedResponse(c, finished, submission.responseFormat);
}

export const images = new Hono<AppEnv>();

images.use('*', apiKeyAuth());
// Before the rate limit: a retry of a recorded request spends no request token.
images.use('/generations', idempotentRetryLookup);
images.use('/edits', idempotentRetryLookup);
images.use('*', rateLimit({ exempt: (c) => c.get('idempotentRetry') !== undefined }));

images.post(
  '/generations',
  bodyLimit({
    maxSize: MAX_JSON_BODY_BYTES,
    onError: () => {
      throw new PayloadTooLargeError(MAX_JSON_BODY_BYTES);
    },
  }),
  async (c) => {
    const { raw } = await readJson(c);
    const body = parseRequest(generationRequest, raw);
    return submitJob(c, {
      params: toParams(body),
      fingerprint: canonicalJson(raw),
      n: body.n,
      size: body.size,
      quality: body.quality,
      stream: body.stream,
      responseFormat: body.response_format,
      webhookUrl: body.webhook_url,
    });
  },
);

images.post(
  '/edits',
  bodyLimit({
    maxSize: MAX_EDIT_BODY_BYTES,
    onError: () => {
      throw new PayloadTooLargeError(MAX_EDIT_BODY_BYTES);
    },
  }),
  async (c) => submitJob(c, await parseEditRequest(c)),
);

images.get('/jobs/:id', async (c) => {
  const id = c.req.param('id');
  const shard = shardForJob(c, id);
  const job = await shard?.get(id, c.get('tenant').id);
  if (!job || !shard) throw new NotFoundError(`No job with id '${id}'.`);
  const estimate = job.status === 'queued' ? ((await shard.estimateWait(id)) ?? undefined) : undefined;
  return c.json(await publicJob(c, job, estimate));
});

/** Server-sent events of one job, replayable from `Last-Event-ID`. */
images.get('/jobs/:id/events', async (c) => {
  const id = c.req.param('id');
  const shard = shardForJob(c, id);
  const tenantId = c.get('tenant').id;
  const lastEventId = c.req.header('last-event-id') ?? c.req.query('after') ?? '0';
  const after = /^\d{1,15}$/.test(lastEventId) ? Number(lastEventId) : 0;
  const first = await shard?.events(id, tenantId, after, 0);
  if (!first || !shard) throw new NotFoundError(`No job with id '${id}'.`);
  const origin = new URL(c.req.url).origin;
  return streamSSE(c, async (stream) => {
    let batch = first;
    let cursor = after;
    const sentPartials = new Set<string>();
    for (;;) {
      for (const event of batch.events) {
        cursor = event.seq;
        if (event.type === 'partial_image') {
          if (sentPartials.has(partialKey(event.data))) continue;
          sentPartials.add(partialKey(event.data));
        }
        const data = event.type === 'partial_image' ? { ...event.data, url: await signImageUrl(c.env, origin, String(event.data.key)), key: undefined } : event.data;
        await stream.writeSSE({ id: String(event.seq), event: event.type, data: JSON.stringify({ job_id: id, ...data, created_at: Math.floor(event.createdAt / 1000) }) });
      }
      if (batch.status === 'succeeded' || batch.status === 'failed' || batch.status === 'cancelled') {
        const rest = await shard.events(id, tenantId, cursor, 0);
        if (!rest || rest.events.length === 0) return;
        batch = rest;
        continue;
      }
      const next = await shard.events(id, tenantId, cursor, 15_000);
      if (!next) return;
      if (next.events.length === 0) await stream.write(': keep-alive\n\n');
      batch = next;
    }
  });
});

images.post('/jobs/:id/cancel', async (c) => {
  const id = c.req.param('id');
  const result = await shardForJob(c, id)?.cancel(id, c.get('tenant').id);
  if (!result || (!result.ok && result.reason === 'not_found')) throw new NotFoundError(`No job with id '${id}'.`);
  if (!result.ok) throw new ConflictError(`The job has already ${result.status === 'succeeded' ? 'completed' : result.status}; there is nothing to cancel.`, 'job_finished');
  return c.json(await publicJob(c, result.job));
});

images.get('/jobs/:id/images/:index', async (c) => {
  const id = c.req.param('id');
  const job = await shardForJob(c, id)?.get(id, c.get('tenant').id);
  const image = job?.result?.images.find((candidate) => String(candidate.index) === c.req.param('index'));
  const object = image && (await c.env.IMAGES.get(image.key));
  if (!image || !object) throw new NotFoundError(`No image ${c.req.param('index')} for job '${id}'.`);
  return new Response(object.body, { headers: { 'content-type': image.contentType, 'cache-control': 'private, max-age=3600' } });
});
