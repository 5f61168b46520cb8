import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import type { AppEnv } from '../env.js';
import { ConflictError, NotFoundError, parseRequest, PayloadTooLargeError, readJsonBody } from '../errors.js';
import { MAX_EDIT_BODY_BYTES, parseEditRequest } from '../jobs/edit-request.js';
import { publicJob } from '../jobs/answers.js';
import { parseVariationRequest } from '../jobs/variation-request.js';
import { idempotentRetryLookup, parsePrefer, submitJob } from '../jobs/submit.js';
import { apiKeyAuth } from '../middleware/auth.js';
import { rateLimit } from '../middleware/rate-limit.js';
import { resolveModel } from '../models.js';
import { shardForJob } from '../queue.js';
import { signImageUrl } from '../signed-urls.js';
import { canonicalJson } from '../../protocol/canonical-json.js';
import { resolveSize } from '../../protocol/images.js';
import { generationParamsOf, generationRequestSchema } from '../../protocol/openai.js';

/** The longest `Prefer: wait=N` GET /jobs/:id honours; a larger N is held this long. */
export const MAX_JOB_POLL_WAIT_SECONDS = 60;

/** Job views, events, result files and cancel: they take the read bucket, never the create budget. */
const JOB_READ_PATH = /\/jobs\/[^/]+(\/(events|cancel|images\/[^/]+))?$/;

/** JSON bodies above this are refused before they are buffered. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

export const images = new Hono<AppEnv>();

images.use('*', apiKeyAuth());
// Before the rate limit: a retry of a recorded request spends no request token.
images.use('/generations', idempotentRetryLookup);
images.use('/edits', idempotentRetryLookup);
images.use('/variations', idempotentRetryLookup);
/** The submissions: their admission takes the request token in its one Tenant call. */
const SUBMISSION_PATH = /\/(generations|edits|variations)$/;

images.use(
  '*',
  rateLimit({
    exempt: (c) => c.get('idempotentRetry') !== undefined,
    read: (c) => JOB_READ_PATH.test(c.req.path),
    atAdmission: (c) => c.req.method === 'POST' && SUBMISSION_PATH.test(c.req.path),
  }),
);

images.post(
  '/generations',
  bodyLimit({
    maxSize: MAX_JSON_BODY_BYTES,
    onError: () => {
      throw new PayloadTooLargeError(MAX_JSON_BODY_BYTES);
    },
  }),
  async (c) => {
    const raw = await readJsonBody(c);
    const body = parseRequest(generationRequestSchema, raw);
    return submitJob(c, {
      params: generationParamsOf(body, resolveSize(body.size), resolveModel(c.env, body.model)),
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

// OpenAI's createVariation: one upload, no prompt, the same limits as an edit.
images.post(
  '/variations',
  bodyLimit({
    maxSize: MAX_EDIT_BODY_BYTES,
    onError: () => {
      throw new PayloadTooLargeError(MAX_EDIT_BODY_BYTES);
    },
  }),
  async (c) => submitJob(c, await parseVariationRequest(c)),
);

images.get('/jobs/:id', async (c) => {
  const id = c.req.param('id');
  const shard = shardForJob(c, id);
  let job = await shard?.get(id, c.get('tenant').id);
  if (!job || !shard) throw new NotFoundError(`No job with id '${id}'.`);
  // RFC 7240 `Prefer: wait=N`: a long poll, so a waiting client makes one request (one read token), not one a second.
  const { waitSeconds } = parsePrefer(c.req.header('prefer'));
  if (waitSeconds !== null && waitSeconds > 0) {
    const seconds = Math.min(waitSeconds, MAX_JOB_POLL_WAIT_SECONDS);
    if (job.status === 'queued' || job.status === 'running') job = (await shard.waitForJob(id, seconds * 1000)) ?? job;
    c.header('Preference-Applied', `wait=${seconds}`);
  }
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
    for (;;) {
      for (const event of batch.events) {
        cursor = event.seq;
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
