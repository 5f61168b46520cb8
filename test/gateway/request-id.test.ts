import { afterEach, describe, expect, it, vi } from 'vitest';
import { app } from '../../gateway/index.js';
import type { Env } from '../../gateway/env.js';
import type { LeaseResponse } from '../../protocol/jobs.js';
import { call, createTenant, env, internal } from './helpers.js';

const GENERATED_ID = /^req_[0-9a-f]{32}$/;

/** Both headers OpenAI sends on every answer: the id the SDK exposes as `_request_id`, and the time spent. */
function expectStamped(response: Response, id: RegExp | string = GENERATED_ID) {
  const requestId = response.headers.get('x-request-id');
  if (typeof id === 'string') expect(requestId).toBe(id);
  else expect(requestId).toMatch(id);
  expect(response.headers.get('openai-processing-ms')).toMatch(/^\d+$/);
}

function generate(key: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return call('/v1/images/generations', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
    body: JSON.stringify(body),
  });
}

async function failQueuedJobs() {
  const { jobs } = (await (await internal('POST', '/internal/lease', { workerId: 'request-id-test', slots: 64, waitMs: 0 })).json()) as LeaseResponse;
  for (const job of jobs) {
    await internal('POST', `/internal/jobs/${job.id}/fail`, { leaseId: job.leaseId, retryable: false, error: { message: 'test', code: 'drained', clientError: false } });
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('x-request-id and openai-processing-ms', () => {
  it('should stamp a success with a fresh req_ id, a different one per request', async () => {
    const first = await call('/healthz');
    const second = await call('/healthz');
    expectStamped(first);
    expectStamped(second);
    expect(first.headers.get('x-request-id')).not.toBe(second.headers.get('x-request-id'));
  });

  it('should keep a short, visible-ASCII id the client sent, and replace any other', async () => {
    expectStamped(await call('/healthz', { headers: { 'x-request-id': 'trace:4f2a/01.b=c' } }), 'trace:4f2a/01.b=c');
    expectStamped(await call('/healthz', { headers: { 'x-request-id': 'a'.repeat(128) } }), 'a'.repeat(128));
    expectStamped(await call('/healthz', { headers: { 'x-request-id': 'a'.repeat(129) } }));
    expectStamped(await call('/healthz', { headers: { 'x-request-id': 'two words' } }));
    expectStamped(await call('/healthz', { headers: { 'x-request-id': 'tab\there' } }));
  });

  it('should stamp 401, 404 for an unknown route, 400 and 413', async () => {
    expectStamped(await call('/v1/images/jobs/job_0_x'));
    expectStamped(await call('/v1/images/generations', { method: 'POST', headers: { authorization: 'Bearer lk_nobody_x' } }));
    const unknown = await call('/v1/nothing-here', { headers: { 'x-request-id': 'mine-404' } });
    expect(unknown.status).toBe(404);
    expectStamped(unknown, 'mine-404');
    const key = await createTenant('reqidbad', 'pro');
    const invalid = await generate(key, { prompt: 'x', size: '7x7' });
    expect(invalid.status).toBe(400);
    expectStamped(invalid);
    const tooLarge = await generate(key, { prompt: 'x'.repeat(70 * 1024) });
    expect(tooLarge.status).toBe(413);
    expectStamped(tooLarge);
  });

  it('should stamp a 429', async () => {
    const key = await createTenant('reqid429', 'pro', { requestsPerMinute: 1, imagesPerMinute: 100, concurrentJobs: 10 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await generate(key, { prompt: `queued ${i}`, size: '256x256' }, { prefer: 'respond-async' });
      statuses.push(response.status);
      expectStamped(response);
    }
    expect(statuses).toContain(429);
    await failQueuedJobs();
  });

  it('should stamp a 500 from the error handler and put the id in its log line', async () => {
    const logged: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => void logged.push(String(line)));
    const broken: Env = { ...env, TRUSTED_CLIENT_IP_HEADER: 'x-nonsense' };
    const response = await app.request('/v1/images/jobs/job_0_x', { headers: { authorization: 'Bearer lk_a_b', 'x-request-id': 'trace-500' } }, broken);
    expect(response.status).toBe(500);
    expectStamped(response, 'trace-500');
    expect(logged.map((line) => JSON.parse(line) as { request_id?: string }).some((line) => line.request_id === 'trace-500')).toBe(true);
  });

  it('should stamp a generation with its Lumen-Job-Id, and a stream at its headers', async () => {
    const key = await createTenant('reqidgen', 'pro', { requestsPerMinute: 100, imagesPerMinute: 100, concurrentJobs: 10 });
    const deferred = await generate(key, { prompt: 'a red circle', size: '256x256' }, { prefer: 'respond-async' });
    expect(deferred.status).toBe(202);
    expectStamped(deferred);
    expect(deferred.headers.get('lumen-job-id')).toMatch(/^job_/);
    const stream = await generate(key, { prompt: 'a red circle', size: '256x256', stream: true }, { 'x-request-id': 'stream-1' });
    expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
    expectStamped(stream, 'stream-1');
    expect(stream.headers.get('lumen-job-id')).toMatch(/^job_/);
    await stream.body?.cancel();
    await failQueuedJobs();
  });
});
