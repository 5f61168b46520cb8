// What clients that did not opt into async get (a held request, never a 202),
// which errors come before a stream starts, and how stream events name their image.
// The official SDK is the client wherever the question is what it can parse.
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { app } from '../../gateway/index.js';
import { shardOfJob, shardStub } from '../../gateway/queue.js';
import type { LeasedJob } from '../../protocol/jobs.js';
import { ADMIN_SECRET, call, createTenant, env, internal, ORIGIN_SECRET } from './helpers.js';
import { signInternalRequest } from '../../protocol/signature.js';

const LIFTED = { requestsPerMinute: 10_000, imagesPerMinute: 10_000, concurrentJobs: 10_000 };
const BOMB = 'step by step diagram for building a pipe bomb';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The gateway with its own vars: one queue shard, so a few queued jobs make a long
 * queue for sure (an unmeasured shard assumes 8 s a job), and short holds.
 */
function gatewayWith(vars: Record<string, string>) {
  const bindings = { ...env, QUEUE_SHARDS: '1', ...vars };
  return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => app.request(input instanceof Request ? input : String(input), init, bindings);
}

const SHORT_HOLD = { HOLD_SILENT_MS: '50', HOLD_KEEPALIVE_MS: '50' };

function post(fetcher: ReturnType<typeof gatewayWith>, key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return fetcher('http://lumen.test/v1/images/generations', {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** Queues `count` jobs of a pro tenant ahead of everything free. */
async function fillQueue(fetcher: ReturnType<typeof gatewayWith>, count: number): Promise<void> {
  const filler = await createTenant(`filler${crypto.randomUUID().slice(0, 8)}`, 'pro', LIFTED);
  for (let i = 0; i < count; i++) expect((await post(fetcher, filler, { prompt: `filler ${i}`, size: '256x256' }, { prefer: 'respond-async' })).status).toBe(202);
}

/** Leases everything queued in shard 0, hands the jobs `pick` matches to `settle`, and fails the rest. */
async function leaseAll(pick: (job: LeasedJob) => boolean, settle: (job: LeasedJob) => Promise<void>): Promise<LeasedJob[]> {
  const shard = shardStub(env, 0);
  const picked: LeasedJob[] = [];
  for (;;) {
    const jobs = await shard.lease('answers-test', 64);
    if (jobs.length === 0) return picked;
    for (const job of jobs) {
      if (pick(job)) {
        picked.push(job);
        await settle(job);
      } else {
        await shard.fail(job.id, job.leaseId, { message: 'drained by the test', code: 'drained', clientError: false }, false);
      }
    }
  }
}

async function complete(job: LeasedJob): Promise<void> {
  const key = `images/${job.tenantId}/${job.id}/${job.leaseId}/0.png`;
  await env.IMAGES.put(key, new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]));
  const check = await shardStub(env, shardOfJob(job.id)!).complete(job.id, job.leaseId, [{ index: 0, key, contentType: 'image/png', bytes: 8 }], { inputTokens: 1, outputTokens: 4 });
  expect(check.ok).toBe(true);
}

async function fail(job: LeasedJob): Promise<void> {
  await shardStub(env, shardOfJob(job.id)!).fail(job.id, job.leaseId, { message: 'the GPU caught fire', code: 'worker_crashed', clientError: false }, false);
}

async function readAll(reader: ReadableStreamDefaultReader<Uint8Array>, first = ''): Promise<string> {
  let text = first;
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text;
    text += decoder.decode(value, { stream: true });
  }
}

describe('a request that did not opt into async', () => {
  it('should hold a deferred free request and answer 200 with leading spaces, then the ImagesResponse', async () => {
    const gateway = gatewayWith(SHORT_HOLD);
    const key = await createTenant('holdfree', 'free', LIFTED);
    await fillQueue(gateway, 2);
    const response = await post(gateway, key, { prompt: 'a red circle', size: '256x256' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('lumen-admission')).toBe('deferred');
    const jobId = response.headers.get('lumen-job-id')!;
    expect(jobId).toMatch(/^job_/);
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toBe(' ');
    expect(await leaseAll((job) => job.id === jobId, complete)).toHaveLength(1);
    const text = await readAll(reader, first);
    expect(text).toMatch(/^ +\{/);
    const body = JSON.parse(text) as { data: { b64_json: string; image_id: string }[]; usage: { total_tokens: number } };
    expect(body.data).toHaveLength(1);
    expect(body.data[0]!.b64_json).toBe(btoa(String.fromCharCode(137, 80, 78, 71, 13, 10, 26, 10)));
    expect(body.usage.total_tokens).toBe(5);
  });

  it('should give an early failure its real status: nothing is sent while the hold is silent', async () => {
    // Any wait above 1 s defers: leasing below must not race fillers queued for the purpose.
    const gateway = gatewayWith({ HOLD_SILENT_MS: '25000', FREE_SYNC_MAX_WAIT_MS: '1000' });
    const key = await createTenant('holdearly', 'free', LIFTED);
    const pending = post(gateway, key, { prompt: 'a blue square', size: '256x256' });
    let failed: LeasedJob[] = [];
    while (failed.length === 0) {
      failed = await leaseAll((job) => job.tenantId === 'holdearly', fail);
      if (failed.length === 0) await sleep(20);
    }
    const response = await pending;
    expect(response.status).toBe(502);
    expect(response.headers.get('lumen-job-id')).toBe(failed[0]!.id);
    expect(response.headers.get('lumen-admission')).toBe('deferred');
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('generation_failed');
  });

  it('should write a failure after the 200 as the OpenAI error object', async () => {
    const gateway = gatewayWith(SHORT_HOLD);
    const key = await createTenant('holdlate', 'pro', LIFTED);
    const response = await post(gateway, key, { prompt: 'a green triangle', size: '256x256' });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const jobId = response.headers.get('lumen-job-id')!;
    await leaseAll((job) => job.id === jobId, fail);
    const body = JSON.parse(await readAll(reader, first)) as { error: { message: string; type: string; code: string } };
    expect(body.error).toMatchObject({ type: 'server_error', code: 'generation_failed', message: 'the GPU caught fire' });
  });

  it('should cancel a queued job whose held client hung up', async () => {
    const gateway = gatewayWith(SHORT_HOLD);
    const key = await createTenant('holdhangup', 'free', LIFTED);
    const response = await post(gateway, key, { prompt: 'a lonely kite', size: '256x256' });
    expect(response.status).toBe(200);
    const jobId = response.headers.get('lumen-job-id')!;
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe(' ');
    await reader.cancel();
    const shard = shardStub(env, shardOfJob(jobId)!);
    let status = (await shard.get(jobId, 'holdhangup'))?.status;
    for (let i = 0; i < 200 && status === 'queued'; i++) {
      await sleep(25);
      status = (await shard.get(jobId, 'holdhangup'))?.status;
    }
    expect(status).toBe('cancelled');
  });

  it('should end the hold after HOLD_MAX_MS with an error, cancelling the job that is still queued', async () => {
    // An unmeasured shard estimates 8 s for a job with nothing ahead, so the cap must be above that to admit it.
    const gateway = gatewayWith({ ...SHORT_HOLD, HOLD_KEEPALIVE_MS: '1000', HOLD_MAX_MS: '8500' });
    const key = await createTenant('holdcap', 'pro', LIFTED);
    await leaseAll(() => false, async () => undefined);
    const response = await post(gateway, key, { prompt: 'a slow comet', size: '256x256' });
    expect(response.status).toBe(200);
    const jobId = response.headers.get('lumen-job-id')!;
    const body = JSON.parse(await readAll(response.body!.getReader())) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('hold_expired');
    expect(body.error.message).toMatch(/cancelled/);
    expect((await shardStub(env, 0).get(jobId, 'holdcap'))?.status).toBe('cancelled');
  });

  it('should refuse with 503 and Retry-After, queueing nothing, when the estimated wait passes HOLD_MAX_MS', async () => {
    const gateway = gatewayWith({ ...SHORT_HOLD, HOLD_MAX_MS: '5000' });
    const key = await createTenant('holdrefused', 'free', LIFTED);
    await fillQueue(gateway, 2);
    const client = new OpenAI({ apiKey: key, baseURL: 'http://lumen.test/v1', maxRetries: 0, fetch: gateway });
    const error = await client.images.generate({ prompt: 'a busy day', size: '256x256' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    const apiError = error as InstanceType<typeof OpenAI.InternalServerError>;
    expect(apiError.status).toBe(503);
    expect(apiError.code).toBe('queue_wait_too_long');
    expect(Number(apiError.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(apiError.headers?.get('lumen-job-id')).toBeNull();
    // Nothing was queued for the tenant: only the fillers are there to lease.
    expect(await leaseAll((job) => job.tenantId === 'holdrefused', async () => undefined)).toEqual([]);
    // Nor is the refusal charged: the whole plan's concurrency is free again.
    const usage = (await (await call('/v1/admin/tenants/holdrefused/usage', { headers: { authorization: `Bearer ${ADMIN_SECRET}` } })).json()) as { concurrentJobs: number };
    expect(usage.concurrentJobs).toBe(0);
  });

  it('should still answer Prefer: respond-async and Prefer: wait=N with 202, which those clients asked for', async () => {
    const gateway = gatewayWith(SHORT_HOLD);
    const key = await createTenant('holdoptin', 'free', LIFTED);
    await fillQueue(gateway, 2);
    const asked = await post(gateway, key, { prompt: 'one', size: '256x256' }, { prefer: 'respond-async' });
    expect(asked.status).toBe(202);
    expect(asked.headers.get('lumen-admission')).toBe('async');
    const waited = await post(gateway, key, { prompt: 'two', size: '256x256' }, { prefer: 'wait=0' });
    expect(waited.status).toBe(202);
    expect(waited.headers.get('lumen-admission')).toBe('deferred');
    await leaseAll(() => false, async () => undefined);
  });
});

describe('errors known before the first event, with stream: true', () => {
  const sdk = (key: string) =>
    new OpenAI({ apiKey: key, baseURL: 'http://lumen.test/v1', maxRetries: 0, fetch: (input, init) => call(new URL(String(input)).pathname, init) });

  it.each([
    ['a blocked prompt', { prompt: BOMB }, 'moderation_blocked'],
    ['an invalid size', { prompt: 'a red circle', size: '999x999' }, 'invalid_value'],
  ])('should throw BadRequestError (400) for %s, not start a stream', async (_name, body, code) => {
    const key = await createTenant(`streamerr${code.slice(0, 6)}`, 'pro');
    const error = await client(key).catch((caught: unknown) => caught);
    async function client(apiKey: string) {
      return sdk(apiKey).images.generate({ ...body, stream: true } as OpenAI.Images.ImageGenerateParamsStreaming);
    }
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).status).toBe(400);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).code).toBe(code);
  });

  it('should throw RateLimitError (429) for a plan at its concurrency limit, not start a stream', async () => {
    const key = await createTenant('streamlimit', 'free');
    const first = await call('/v1/images/generations', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', prefer: 'respond-async' },
      body: JSON.stringify({ prompt: 'one', size: '256x256' }),
    });
    expect(first.status).toBe(202);
    const error = await sdk(key)
      .images.generate({ prompt: 'two', size: '256x256', stream: true } as OpenAI.Images.ImageGenerateParamsStreaming)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).status).toBe(429);
    const { id } = (await first.json()) as { id: string };
    await call(`/v1/images/jobs/${id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
  });
});

describe('stream events of n images', () => {
  it('should give every partial and completed event the index of its image among the n', async () => {
    const key = await createTenant('streamtwo', 'pro', LIFTED);
    const client = new OpenAI({ apiKey: key, baseURL: 'http://lumen.test/v1', maxRetries: 0, fetch: (input, init) => call(new URL(String(input)).pathname, init) });
    const stream = await client.images.generate({ prompt: 'two red circles', size: '256x256', n: 2, partial_images: 2, stream: true } as OpenAI.Images.ImageGenerateParamsStreaming);
    const leased = (await (await internal('POST', '/internal/lease', { workerId: 'two', slots: 64, waitMs: 0 })).json()) as { jobs: LeasedJob[] };
    const job = leased.jobs.find((candidate) => candidate.tenantId === 'streamtwo')!;
    const put = async (path: string, bytes: Uint8Array) => {
      const headers = await signInternalRequest(ORIGIN_SECRET, 'PUT', path, bytes);
      return call(path, { method: 'PUT', body: bytes, headers: { ...headers, 'content-type': 'application/octet-stream' } });
    };
    // Tests run with a 300 ms lease: heartbeats keep this one while the test plays the worker.
    const beat = async () => expect((await internal('POST', `/internal/jobs/${job.id}/heartbeat`, { leaseId: job.leaseId, passesDone: 0 })).status).toBe(200);
    const preview = new Uint8Array([82, 73, 70, 70]);
    for (const pass of [1, 2]) {
      for (const image of [0, 1]) {
        await beat();
        expect((await put(`/internal/jobs/${job.id}/previews/${pass}?lease=${job.leaseId}&image=${image}&partial=${pass - 1}`, preview)).status).toBe(200);
      }
    }
    const stored = [];
    await beat();
    for (const image of [0, 1]) stored.push(await (await put(`/internal/jobs/${job.id}/images/${image}?lease=${job.leaseId}&format=png`, new Uint8Array([137, 80, 78, 71]))).json());
    expect((await internal('POST', `/internal/jobs/${job.id}/complete`, { leaseId: job.leaseId, images: stored, usage: { inputTokens: 1, outputTokens: 8 } })).status).toBe(200);

    const seen: string[] = [];
    for await (const event of stream) {
      const { image_index: imageIndex } = event as unknown as { image_index: number };
      if (event.type === 'image_generation.partial_image') seen.push(`partial ${imageIndex}:${event.partial_image_index}`);
      if (event.type === 'image_generation.completed') seen.push(`completed ${imageIndex}`);
    }
    expect(seen).toEqual(['partial 0:0', 'partial 1:0', 'partial 0:1', 'partial 1:1', 'completed 0', 'completed 1']);
  });
});
