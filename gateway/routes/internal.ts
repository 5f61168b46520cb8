import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../env.js';
import { ConflictError, InvalidRequestError, NotFoundError, parseRequest, PayloadTooLargeError } from '../errors.js';
import { rememberPolicy } from '../moderation.js';
import { originSignature } from '../middleware/origin-signature.js';
import { policyStoreStub } from '../objects/policy-store.js';
import type { LeaseCheck, QueueShard } from '../objects/queue-shard.js';
import {
  COMPLETIONS_PART,
  completeBatchRequestSchema,
  completeMultipartSchema,
  completeRequestSchema,
  departRequestSchema,
  failRequestSchema,
  heartbeatRequestSchema,
  leaseRequestSchema,
  type CompleteBatchResponse,
  type Completion,
  type CompletionResult,
  type InlineCompletion,
  type LeasedJob,
  type LeaseResponse,
  type StoredImage,
  MAX_COMPLETE_BODY_BYTES,
  MAX_IMAGE_BYTES,
} from '../../protocol/jobs.js';
import type { PolicySnapshot } from '../../protocol/policy.js';
import { shardCount, shardForJob, shardOfJob, shardStub } from '../queue.js';
import { workerRegistryStub } from '../objects/worker-registry.js';
import { parseTraceparent } from '../../protocol/trace-context.js';

/** How often a waiting lease call writes a byte: writing is how a worker that hung up is noticed (about 0.4 s after, under wrangler dev). */
const LEASE_KEEPALIVE_MS = 100;
const textEncoder = new TextEncoder();
const IMAGE_TYPES = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' } as const;
const MAX_PREVIEW_BYTES = 2 * 1024 * 1024;

function assertLease(check: LeaseCheck, jobId: string): asserts check is Extract<LeaseCheck, { ok: true }> {
  if (check.ok) return;
  if (check.reason === 'unknown_job') throw new NotFoundError(`No job with id '${jobId}'.`);
  throw new ConflictError(`The lease on job '${jobId}' is no longer held by this worker.`, 'stale_lease');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The pause after a sweep found nothing although a shard reported work. */
const EMPTY_SWEEP_PAUSE_MS = 250;

async function deleteJobObjects(bucket: R2Bucket, prefix: string): Promise<void> {
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, cursor });
    if (page.objects.length > 0) await bucket.delete(page.objects.map((object) => object.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
}

export const internal = new Hono<AppEnv>();

// Before the signature check, which reads the whole body: a completion carries images, and its size is capped from its header.
internal.post(
  '/complete',
  bodyLimit({
    maxSize: MAX_COMPLETE_BODY_BYTES,
    onError: () => {
      throw new PayloadTooLargeError(MAX_COMPLETE_BODY_BYTES);
    },
  }),
);
internal.use('*', originSignature());

/**
 * Long-poll for work: sweep every shard for queued jobs (highest priority
 * first within each), and when all are empty wait until any shard reports
 * new work, then sweep again.
 *
 * A worker that drains says so first (/depart), and its session is handed
 * nothing from then on. For one that vanishes without a word, a call that has
 * to wait is answered as a stream: whitespace every LEASE_KEEPALIVE_MS, then
 * the JSON. A handler that merely awaits never learns that its client hung up:
 * `request.signal` fires only under the `enable_request_signal` compatibility
 * flag, and under wrangler dev 4.86 not even then before an answer has started.
 * What does tell is a write to the response body failing, a few writes after
 * the worker left. So a worker that died mid-poll is given nothing once that is
 * noticed; a job taken for it in the instant before goes back without spending
 * an attempt, at once if the answer cannot be written, otherwise when its
 * unconfirmed lease expires. An AbortSignal cannot cross RPC, so the check sits
 * here, before every sweep.
 */
internal.post('/lease', async (c) => {
  const { workerId, slots, waitMs, maxFree = slots, session, capacity, exceptTenants = [] } = parseRequest(leaseRequestSchema, await c.req.json());
  const deadline = Date.now() + waitMs;
  const shards = Array.from({ length: shardCount(c.env) }, (_, shard) => shardStub(c.env, shard));
  const sweep = async (): Promise<LeasedJob[]> => {
    const leased: LeasedJob[] = [];
    for (const shard of await sweepOrder(shards, maxFree, exceptTenants)) {
      if (leased.length >= slots) break;
      const freeSoFar = leased.filter((job) => job.tier === 'free').length;
      leased.push(...(await shard.lease(workerId, slots - leased.length, Math.max(0, maxFree - freeSoFar), session, exceptTenants)));
    }
    return leased;
  };
  // Every call announces its worker (GET /v1/admin/workers). A drained session is also refused by every shard, so the sweep alongside takes nothing for it.
  const registry = workerRegistryStub(c.env);
  const [{ drain }, first] = await Promise.all([registry.announce(workerId, session ?? null, slots, capacity ?? null), sweep()]);
  if (drain) return c.json({ jobs: first, drain: true } satisfies LeaseResponse);
  if (first.length > 0 || waitMs === 0) return c.json({ jobs: first } satisfies LeaseResponse);

  const answer = new StreamedAnswer(c.req.raw.signal);
  const poll = async () => {
    const keepAlive = setInterval(() => void answer.write(' '), LEASE_KEEPALIVE_MS);
    try {
      while (!answer.gone && Date.now() < deadline) {
        await Promise.race([workArrives(shards, deadline - Date.now(), maxFree > 0, exceptTenants), answer.hungUp]);
        if (answer.gone) return;
        const jobs = await sweep();
        if (jobs.length === 0) {
          // Work is queued but none was handed out: this session may have been drained meanwhile (its shards now refuse it).
          if (await registry.draining(workerId, session ?? null)) {
            await answer.write(JSON.stringify({ jobs: [], drain: true } satisfies LeaseResponse));
            return;
          }
          // Another worker took it, or this session departed (its shards report work they will not hand it):
          // pause before the next sweep rather than spin on the same answer.
          await sleep(Math.min(EMPTY_SWEEP_PAUSE_MS, Math.max(0, deadline - Date.now())));
          continue;
        }
        if (!(await answer.write(JSON.stringify({ jobs } satisfies LeaseResponse)))) await returnUndelivered(c, workerId, jobs);
        return;
      }
      await answer.write(JSON.stringify({ jobs: [] } satisfies LeaseResponse));
    } finally {
      clearInterval(keepAlive);
    }
  };
  c.executionCtx.waitUntil(
    poll().then(
      () => answer.close(),
      (error: unknown) => {
        console.error(JSON.stringify({ level: 'error', message: 'lease long-poll failed', workerId, error: String(error) }));
        // A broken body, not a truncated one: the worker sees a network error and retries.
        return answer.abort(error);
      },
    ),
  );
  return answer.response;
});

/**
 * A JSON answer written as a stream, so that its handler learns when the client
 * hangs up: workerd reports a closed connection only as a failed write to the
 * response body (Hono's stream helper swallows that failure, hence this).
 */
class StreamedAnswer {
  readonly response: Response;
  /** Resolves once the client is known to have gone. */
  readonly hungUp: Promise<void>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  #gone = false;
  #markGone: () => void = () => undefined;

  constructor(requestSignal: AbortSignal) {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    this.#writer = writable.getWriter();
    // Uncompressed: behind a compressing layer (workerd honours Accept-Encoding) a write to a closed connection succeeds.
    this.response = new Response(readable, { headers: { 'content-type': 'application/json', 'content-encoding': 'identity' } });
    this.hungUp = new Promise((resolve) => {
      this.#markGone = () => {
        this.#gone = true;
        resolve();
      };
    });
    // Fires only under the `enable_request_signal` compatibility flag; the failed write is what always works.
    requestSignal.addEventListener('abort', () => this.#markGone(), { once: true });
  }

  get gone(): boolean {
    return this.#gone;
  }

  /** Writes `text`; false once the client is known to have gone (a write can still succeed just after it left). */
  async write(text: string): Promise<boolean> {
    if (this.#gone) return false;
    try {
      await this.#writer.write(textEncoder.encode(text));
      return !this.#gone;
    } catch {
      this.#markGone();
      return false;
    }
  }

  close(): Promise<void> {
    return this.#writer.close().catch(() => undefined);
  }

  abort(reason: unknown): Promise<void> {
    return this.#writer.abort(reason).catch(() => undefined);
  }
}

/**
 * A draining worker's goodbye, sent before it closes its lease call: every shard
 * refuses that session from then on, so a call the gateway has not yet seen close
 * (see /lease) is handed nothing.
 */
internal.post('/depart', async (c) => {
  const { session } = parseRequest(departRequestSchema, await c.req.json());
  await Promise.all(Array.from({ length: shardCount(c.env) }, (_, shard) => shardStub(c.env, shard).depart(session)));
  return c.json({ ok: true });
});

/** Resolves true once any shard reports work the caller may lease, false after `timeoutMs`. A wake-up only signals; the sweep after it leases. */
function workArrives(shards: DurableObjectStub<QueueShard>[], timeoutMs: number, includeFree: boolean, exceptTenants: readonly string[]): Promise<boolean> {
  // Cleared when work arrives first: workerd caps a request's timers (10,000), and a long poll loops many times.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  return Promise.race([
    Promise.any(shards.map((shard) => shard.waitForWork(timeoutMs, includeFree, exceptTenants).then((found) => found || Promise.reject(new Error('timeout'))))).catch(() => false),
    timeout,
  ]).finally(() => clearTimeout(timer));
}

/**
 * The shards with work, in the order a sweep should lease from them. Each
 * shard orders its own jobs (tier, fair share, age); across shards the sweep
 * goes first where the next job ranks highest, and among equals where its
 * tenant has the fewest jobs waiting, so a light tenant's job is not stuck
 * behind a flood queued in every shard. Ties keep a random order.
 */
async function sweepOrder(shards: DurableObjectStub<QueueShard>[], maxFree: number, exceptTenants: readonly string[]): Promise<DurableObjectStub<QueueShard>[]> {
  const start = Math.floor(Math.random() * shards.length);
  const rotated = shards.map((_, i) => shards[(start + i) % shards.length]!);
  const peeks = await Promise.all(rotated.map(async (shard) => ({ shard, next: await shard.peek(maxFree, exceptTenants) })));
  const withWork: { shard: DurableObjectStub<QueueShard>; rank: number; tenantQueued: number }[] = [];
  for (const { shard, next } of peeks) if (next) withWork.push({ shard, rank: next.rank, tenantQueued: next.tenantQueued });
  return withWork.sort((a, b) => b.rank - a.rank || a.tenantQueued - b.tenantQueued).map((entry) => entry.shard);
}

/** Gives back jobs leased for a call whose worker hung up before the answer reached it. */
async function returnUndelivered(c: Context<AppEnv>, workerId: string, jobs: LeasedJob[]): Promise<void> {
  for (const job of jobs) {
    await shardForJob(c, job.id)?.returnUndelivered(job.id, job.leaseId);
    console.warn(JSON.stringify({ level: 'warn', message: 'lease call hung up; job returned to the queue', jobId: job.id, traceId: parseTraceparent(job.traceparent)?.traceId, workerId }));
  }
}

internal.post('/jobs/:id/heartbeat', async (c) => {
  const id = c.req.param('id');
  const body = parseRequest(heartbeatRequestSchema, await c.req.json());
  const shard = shardForJob(c, id);
  if (!shard) throw new NotFoundError(`No job with id '${id}'.`);
  return c.json(await shard.heartbeat(id, body.leaseId, body.passesDone, body.checkpoint));
});

/** One finished image, from the worker holding the job's lease (see storeImage). */
internal.put('/jobs/:id/images/:index', async (c) => {
  const id = c.req.param('id');
  const index = Number(c.req.param('index'));
  const leaseId = c.req.query('lease') ?? '';
  const format = c.req.query('format') as keyof typeof IMAGE_TYPES | undefined;
  if (!Number.isInteger(index) || index < 0 || !format || !(format in IMAGE_TYPES)) {
    throw new InvalidRequestError('Upload needs an integer image index and ?format=png|jpeg|webp.');
  }
  const shard = shardForJob(c, id);
  if (!shard) throw new NotFoundError(`No job with id '${id}'.`);
  const check = await shard.checkLease(id, leaseId);
  assertLease(check, id);
  const bytes = await c.req.arrayBuffer();
  if (bytes.byteLength === 0 || bytes.byteLength > MAX_IMAGE_BYTES) throw new InvalidRequestError('Image body is empty or too large.');
  return c.json(await storeImage(c.env.IMAGES, { tenantId: check.tenantId, jobId: id, leaseId }, index, format, bytes));
});

/** Stores one finished image under its lease's own prefix, so a stale worker can never overwrite the winner's bytes. */
async function storeImage(
  bucket: R2Bucket,
  lease: { tenantId: string; jobId: string; leaseId: string },
  index: number,
  format: keyof typeof IMAGE_TYPES,
  bytes: ArrayBuffer,
): Promise<StoredImage> {
  const key = `images/${lease.tenantId}/${lease.jobId}/${lease.leaseId}/${index}.${format}`;
  await bucket.put(key, bytes, { httpMetadata: { contentType: IMAGE_TYPES[format] } });
  return { index, key, contentType: IMAGE_TYPES[format], bytes: bytes.byteLength };
}

/** Stores one pass's preview (for `partial_image` stream events) under the lease's prefix. */
internal.put('/jobs/:id/previews/:pass', async (c) => {
  const id = c.req.param('id');
  const pass = Number(c.req.param('pass'));
  const imageIndex = Number(c.req.query('image') ?? '0');
  const partialImageIndex = Number(c.req.query('partial') ?? '0');
  const leaseId = c.req.query('lease') ?? '';
  if (![pass, imageIndex, partialImageIndex].every((value) => Number.isInteger(value) && value >= 0)) {
    throw new InvalidRequestError('Preview upload needs integer pass, image and partial indexes.');
  }
  const shard = shardForJob(c, id);
  if (!shard) throw new NotFoundError(`No job with id '${id}'.`);
  const check = await shard.checkLease(id, leaseId);
  assertLease(check, id);
  const bytes = await c.req.arrayBuffer();
  if (bytes.byteLength === 0 || bytes.byteLength > MAX_PREVIEW_BYTES) throw new InvalidRequestError('Preview body is empty or too large.');
  const key = `previews/${check.tenantId}/${id}/${leaseId}/${imageIndex}-${pass}.webp`;
  await c.env.IMAGES.put(key, bytes, { httpMetadata: { contentType: 'image/webp' } });
  assertLease(await shard.recordPreview(id, leaseId, { key, pass, imageIndex, partialImageIndex }), id);
  return c.json({ key });
});

/** An edit's uploaded input (image or mask), for the worker holding the job's lease. */
internal.get('/jobs/:id/inputs', async (c) => {
  const id = c.req.param('id');
  const key = c.req.query('key') ?? '';
  const shard = shardForJob(c, id);
  if (!shard) throw new NotFoundError(`No job with id '${id}'.`);
  const check = await shard.checkLease(id, c.req.query('lease') ?? '');
  assertLease(check, id);
  // Uploads live under their tenant's prefix; a worker can read only its job's tenant's inputs.
  if (!key.startsWith(`uploads/${check.tenantId}/`)) throw new NotFoundError(`No input '${key}' for job '${id}'.`);
  const object = await c.env.IMAGES.get(key);
  if (!object) throw new NotFoundError(`No input '${key}' for job '${id}'.`);
  return new Response(object.body, { headers: { 'content-type': object.httpMetadata?.contentType ?? 'application/octet-stream' } });
});

/** Refuses the whole call when any image of any completion was not uploaded under that job's lease: a worker bug, not a race. */
function assertOwnImages(completions: readonly Completion[]): void {
  for (const { jobId, leaseId, images } of completions) {
    const prefix = `/${jobId}/${leaseId}/`;
    if (images.some((image) => !image.key.includes(prefix))) {
      throw new InvalidRequestError(`Completed images must be the ones uploaded under this lease (job '${jobId}').`);
    }
  }
}

/** Jobs by the shard that holds them; a job id no shard can hold is answered unknown at once. */
function byShard<T extends { jobId: string }>(c: Context<AppEnv>, items: readonly T[]): { shards: Map<number, T[]>; unknown: Map<string, CompletionResult> } {
  const shards = new Map<number, T[]>();
  const unknown = new Map<string, CompletionResult>();
  for (const item of items) {
    const shard = shardForJob(c, item.jobId) && shardOfJob(item.jobId);
    if (shard === null) unknown.set(item.jobId, { jobId: item.jobId, ok: false, code: 'unknown_job', message: refusal('unknown_job', item.jobId) });
    else shards.set(shard, [...(shards.get(shard) ?? []), item]);
  }
  return { shards, unknown };
}

/** Completes jobs, one shard call per shard involved; each job's lease is checked on its own (see QueueShard.complete). */
async function completeAll(c: Context<AppEnv>, completions: readonly Completion[]): Promise<CompletionResult[]> {
  const { shards, unknown: outcomes } = byShard(c, completions);
  await Promise.all(
    [...shards].map(async ([shard, batch]) => {
      const checks = await shardStub(c.env, shard).completeMany(batch);
      batch.forEach(({ jobId }, i) => outcomes.set(jobId, resultOf(checks[i]!, jobId)));
    }),
  );
  return completions.map(({ jobId }) => outcomes.get(jobId)!);
}

function resultOf(check: LeaseCheck, jobId: string): CompletionResult {
  return check.ok ? { jobId, ok: true } : { jobId, ok: false, code: check.reason, message: refusal(check.reason, jobId) };
}

function refusal(reason: 'unknown_job' | 'stale_lease', jobId: string): string {
  return reason === 'unknown_job' ? `No job with id '${jobId}'.` : `The lease on job '${jobId}' is no longer held by this worker.`;
}

/** One finished job. Workers use the batched call below; this one answers a refused lease with 404/409. */
internal.post('/jobs/:id/complete', async (c) => {
  const jobId = c.req.param('id');
  const body = parseRequest(completeRequestSchema, await c.req.json());
  const completion = { jobId, ...body };
  assertOwnImages([completion]);
  const [result] = await completeAll(c, [completion]);
  if (!result!.ok) assertLease({ ok: false, reason: result!.code }, jobId);
  return c.json({ ok: true });
});

/**
 * Several finished jobs in one call (a worker sends whatever finished while its last completion was in flight).
 * Each job is fenced by its own lease: a stale one is refused in its result, and the others still complete.
 * As JSON, the images were uploaded already (PUT above) and are named by key; as multipart/form-data they travel
 * in this body (see `completeMultipartSchema`), and are stored here only for the jobs whose lease holds.
 */
internal.post('/complete', async (c) => {
  if (c.req.header('content-type')?.toLowerCase().startsWith('multipart/form-data')) {
    return c.json({ results: await completeWithImages(c, await readMultipartCompletion(c)) } satisfies CompleteBatchResponse);
  }
  const { completions } = parseRequest(completeBatchRequestSchema, await c.req.json());
  assertOneEach(completions);
  assertOwnImages(completions);
  return c.json({ results: await completeAll(c, completions) } satisfies CompleteBatchResponse);
});

function assertOneEach(completions: readonly { jobId: string }[]): void {
  if (new Set(completions.map((completion) => completion.jobId)).size !== completions.length) {
    throw new InvalidRequestError('Each job may appear once in a completion batch.');
  }
}

/** A multipart completion with every image's bytes in hand; anything missing, extra, empty or too large is a 400. */
async function readMultipartCompletion(c: Context<AppEnv>): Promise<{ completion: InlineCompletion; files: File[] }[]> {
  const parts = new Map<string, unknown[]>();
  try {
    // The signature check consumed the raw body; Hono parses the copy it kept.
    const form = await c.req.formData();
    for (const [name, value] of form.entries() as IterableIterator<[string, unknown]>) parts.set(name, [...(parts.get(name) ?? []), value]);
  } catch {
    throw new InvalidRequestError('The completion body is not valid multipart/form-data.', null, 'invalid_multipart');
  }
  const [json, ...more] = parts.get(COMPLETIONS_PART) ?? [];
  if (json === undefined || more.length > 0) {
    throw new InvalidRequestError(`A multipart completion needs one '${COMPLETIONS_PART}' part holding the JSON completions.`, COMPLETIONS_PART);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(json instanceof File ? await json.text() : String(json));
  } catch {
    throw new InvalidRequestError(`The '${COMPLETIONS_PART}' part is not valid JSON.`, COMPLETIONS_PART);
  }
  const { completions } = parseRequest(completeMultipartSchema, raw);
  assertOneEach(completions);
  const named = new Set<string>();
  const read = completions.map((completion) => {
    if (new Set(completion.images.map((image) => image.index)).size !== completion.images.length) {
      throw new InvalidRequestError(`Each image index may appear once per job (job '${completion.jobId}').`);
    }
    const files = completion.images.map(({ part }) => {
      if (part === COMPLETIONS_PART || named.has(part)) throw new InvalidRequestError(`Part '${part}' is named by more than one image.`, part);
      named.add(part);
      const [file, ...others] = parts.get(part) ?? [];
      if (!(file instanceof File) || others.length > 0) {
        throw new InvalidRequestError(`Image part '${part}' (job '${completion.jobId}') must be exactly one file part of the body.`, part);
      }
      // Its size is capped by the whole body's (MAX_COMPLETE_BODY_BYTES, below MAX_IMAGE_BYTES).
      if (file.size === 0) throw new InvalidRequestError(`Image part '${part}' is empty.`, part);
      return file;
    });
    return { completion, files };
  });
  for (const name of parts.keys()) {
    if (name !== COMPLETIONS_PART && !named.has(name)) throw new InvalidRequestError(`Part '${name}' is not named by any image.`, name);
  }
  return read;
}

/**
 * Checks every lease first (one call per shard), stores the images of the jobs whose lease holds, then completes
 * those: `completeMany` checks each lease again, so one lost in between is still refused. A stale worker's bytes are
 * never stored, and a winner's keys carry its own lease, so nothing it stored can be overwritten.
 */
async function completeWithImages(c: Context<AppEnv>, jobs: readonly { completion: InlineCompletion; files: File[] }[]): Promise<CompletionResult[]> {
  const { shards, unknown: outcomes } = byShard(c, jobs.map(({ completion }) => completion));
  const tenants = new Map<string, string>();
  await Promise.all(
    [...shards].map(async ([shard, batch]) => {
      const checks = await shardStub(c.env, shard).checkLeases(batch.map(({ jobId, leaseId }) => ({ jobId, leaseId })));
      batch.forEach(({ jobId }, i) => {
        const check = checks[i]!;
        if (check.ok) tenants.set(jobId, check.tenantId);
        else outcomes.set(jobId, resultOf(check, jobId));
      });
    }),
  );
  const held = jobs.filter(({ completion }) => tenants.has(completion.jobId));
  const stored: Completion[] = await Promise.all(
    held.map(async ({ completion: { jobId, leaseId, images, usage }, files }) => ({
      jobId,
      leaseId,
      usage,
      images: await Promise.all(
        images.map(async ({ index, format }, i) => storeImage(c.env.IMAGES, { tenantId: tenants.get(jobId)!, jobId, leaseId }, index, format, await files[i]!.arrayBuffer())),
      ),
    })),
  );
  if (stored.length > 0) (await completeAll(c, stored)).forEach((result) => outcomes.set(result.jobId, result));
  return jobs.map(({ completion }) => outcomes.get(completion.jobId)!);
}

internal.post('/jobs/:id/fail', async (c) => {
  const id = c.req.param('id');
  const body = parseRequest(failRequestSchema, await c.req.json());
  const shard = shardForJob(c, id);
  if (!shard) throw new NotFoundError(`No job with id '${id}'.`);
  const check = await shard.fail(id, body.leaseId, body.error, body.retryable);
  assertLease(check, id);
  // A job the safety system stopped mid-render leaves nothing behind: not even the previews of passes that had passed.
  if (body.error.moderation) await deleteJobObjects(c.env.IMAGES, `previews/${check.tenantId}/${id}/`);
  return c.json({ ok: true });
});

/**
 * The live safety policy (base + tenant overlays, or only `?tenant=`'s), for
 * the origins' prompt check: the same policy the gateway enforces, read from
 * the store rather than this isolate's cache so origin caches do not add delay.
 */
internal.get('/policy', async (c) => {
  const snapshot = await policyStoreStub(c.env).snapshot();
  rememberPolicy(snapshot);
  const tenant = c.req.query('tenant');
  if (tenant === undefined) return c.json(snapshot);
  const overlay = snapshot.overlays[tenant];
  return c.json({ ...snapshot, overlays: overlay ? { [tenant]: overlay } : {} } satisfies PolicySnapshot);
});
