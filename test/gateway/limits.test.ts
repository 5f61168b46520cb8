import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../../gateway/env.js';
import { ApiError, NotFoundError, toErrorResponse } from '../../gateway/errors.js';
import { apiKeyAuth } from '../../gateway/middleware/auth.js';
import { admitGeneration, releaseJobSlot } from '../../gateway/jobs/slots.js';
import { rateLimit } from '../../gateway/middleware/rate-limit.js';
import { MAX_ALLOWANCE } from '../../gateway/objects/tenant.js';
import { ADMIN_SECRET, call, createTenant, env } from './helpers.js';

type Body = { n?: number; size?: 'auto' | '256x256' | '512x512' | '1024x1024' | '1536x1024' | '1024x1536'; quality?: 'auto' | 'low' | 'medium' | 'high'; jobId?: string };

// The images route wires these in itself; this app wires them the same way
// (apiKeyAuth, then rateLimit, then admitGeneration after validation) so the
// limits are tested on their own. configTtlMs 0: every request reads the live limits.
function limitedApp(options: { shareFailureCounts?: boolean } = {}) {
  const app = new Hono<AppEnv>();
  app.onError((error) => {
    if (error instanceof ApiError) return toErrorResponse(error);
    throw error;
  });
  app.use('/v1/images/*', apiKeyAuth(options), rateLimit({ configTtlMs: 0 }));
  app.get('/v1/images/jobs/:id', (c) => {
    throw new NotFoundError(`No job with id '${c.req.param('id')}'.`);
  });
  app.post('/v1/images/generations', async (c) => {
    const body = (await c.req.json()) as Body;
    const admission = await admitGeneration(c, body.n ?? 1, body.size ?? 'auto', body.quality ?? 'auto', body.jobId);
    return c.json({ jobId: admission.jobId }, 201);
  });
  return (path: string, init: RequestInit = {}) => app.request(path, init, env);
}

const admin = { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' };

async function override(tenant: string, limits: Record<string, unknown>) {
  const response = await call(`/v1/admin/tenants/${tenant}/limits`, { method: 'PUT', headers: admin, body: JSON.stringify(limits) });
  expect(response.status).toBe(200);
}

const poll = (key: string, ip = '198.51.100.1') => ({ headers: { authorization: `Bearer ${key}`, 'cf-connecting-ip': ip } });
const generation = (key: string, body: Body) => ({
  method: 'POST',
  headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

async function errorOf(response: Response) {
  return ((await response.json()) as { error: { message: string; type: string; param: string | null; code: string | null } }).error;
}

describe('request bucket', () => {
  it('should never admit more than the bucket holds under 1,000 concurrent requests on one key', { timeout: 60_000 }, async () => {
    const request = limitedApp();
    const key = await createTenant('burst', 'pro');
    await override('burst', { requestsPerMinute: 200 });
    const started = Date.now();
    const responses = await Promise.all(Array.from({ length: 1_000 }, () => request('/v1/images/jobs/job_0_unknown', poll(key))));
    const elapsedMs = Date.now() - started;
    const admitted = responses.filter((response) => response.status === 404).length;
    const limited = responses.filter((response) => response.status === 429).length;
    expect(admitted + limited).toBe(1_000);
    // The bucket starts full (200) and refills 200/min: over `elapsedMs` at most this many more tokens appear.
    const refill = Math.floor((elapsedMs * 200) / 60_000);
    expect(admitted).toBeLessThanOrEqual(200 + refill);
    // A burst that straddles a second may be handed tokens ahead (an allowance, at most MAX_ALLOWANCE); any it has not
    // spent when the bucket runs dry wait in the isolate until its next call gives them back.
    expect(admitted).toBeGreaterThan(200 - MAX_ALLOWANCE);
    // The Tenant object counted every decision once, with such unspent tokens counted as requests until given back.
    const usage = (await (await call('/v1/admin/tenants/burst/usage', { headers: admin })).json()) as { perDay: { requests: number; throttled: number }[] };
    expect(usage.perDay.at(-1)?.requests).toBeGreaterThanOrEqual(admitted);
    expect(usage.perDay.at(-1)?.requests).toBeLessThan(admitted + MAX_ALLOWANCE);
    expect(usage.perDay.at(-1)?.throttled).toBeLessThanOrEqual(limited);
  });

  it('should let a busy isolate spend tokens taken ahead, give back what it did not spend, and never overdraw the bucket', { timeout: 60_000 }, async () => {
    const request = limitedApp();
    const key = await createTenant('ahead', 'pro');
    /** A closed loop of 16 for `ms`: busy enough, window after window, to be handed tokens ahead. */
    const loop = async (ms: number) => {
      const started = Date.now();
      const statuses: number[] = [];
      const readings: number[] = [];
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (Date.now() - started < ms && statuses.length < 20_000) {
            const response = await request('/v1/images/jobs/job_0_unknown', poll(key));
            statuses.push(response.status);
            if (response.status === 404) readings.push(Number(response.headers.get('x-ratelimit-remaining-requests')));
          }
        }),
      );
      expect(statuses.filter((status) => status !== 404 && status !== 429)).toEqual([]);
      return { admitted: statuses.filter((status) => status === 404).length, readings, elapsedMs: Date.now() - started };
    };

    await override('ahead', { requestsPerMinute: 1_000_000 });
    const busy = await loop(2_500);
    // Requests spent from an allowance report the reading of the call that granted it, so readings repeat. A bucket
    // deciding every request alone reports each level about once (this one refills far slower than it is taken from).
    expect(new Set(busy.readings).size).toBeLessThan(busy.readings.length / 2);
    // After a quiet second, the next call gives back what the last allowance left unspent: usage counts each request once.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await request('/v1/images/jobs/job_0_unknown', poll(key))).status).toBe(404);
    const usage = (await (await call('/v1/admin/tenants/ahead/usage', { headers: admin })).json()) as { perDay: { requests: number }[] };
    expect(usage.perDay.at(-1)?.requests).toBe(busy.admitted + 1);

    // A small bucket under the same load (the isolate still busy, so still asking ahead): never overdrawn.
    await override('ahead', { requestsPerMinute: 1_200 });
    const first = await loop(1_500);
    const second = await loop(1_500);
    const refill = Math.ceil(((first.elapsedMs + second.elapsedMs) * 1_200) / 60_000);
    expect(first.admitted + second.admitted).toBeLessThanOrEqual(1_200 + refill);
    expect(first.admitted).toBeGreaterThanOrEqual(1_200 - 64);
  });

  it('should carry OpenAI and IETF rate-limit headers on admitted and refused responses', async () => {
    const request = limitedApp();
    const key = await createTenant('headers', 'pro');
    const first = await request('/v1/images/jobs/job_0_unknown', poll(key));
    expect(first.status).toBe(404);
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('300');
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('299');
    expect(first.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(ms|(\.\d)?s)$/);
    expect(first.headers.get('x-ratelimit-limit-images')).toBe('120');
    expect(first.headers.get('x-ratelimit-remaining-images')).toBe('120');
    expect(first.headers.get('x-ratelimit-reset-images')).toBe('0ms');
    expect(first.headers.get('ratelimit-policy')).toBe('"requests";q=300;w=60, "images";q=120;w=60');
    expect(first.headers.get('ratelimit')).toBe('"requests";r=299;t=0, "images";r=120;t=0');

    // Lowering the limit caps what is left at the new size: one more passes, then none.
    await override('headers', { requestsPerMinute: 1 });
    expect((await request('/v1/images/jobs/job_0_unknown', poll(key))).status).toBe(404);
    const refused = await request('/v1/images/jobs/job_0_unknown', poll(key));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(refused.headers.get('ratelimit')).toMatch(/^"requests";r=0;t=[1-9]\d*, "images";r=120;t=0$/);
    const error = await errorOf(refused);
    expect(error).toMatchObject({ code: 'rate_limit_exceeded', type: 'requests', param: null });
    expect(error.message).toMatch(/1 requests per minute/);
  });

  it('should jitter Retry-After so throttled clients do not return in lockstep', async () => {
    const request = limitedApp();
    const key = await createTenant('jitter', 'pro');
    await override('jitter', { requestsPerMinute: 1 });
    await request('/v1/images/jobs/job_0_unknown', poll(key));
    const waits = new Set<string | null>();
    for (let i = 0; i < 20; i++) waits.add((await request('/v1/images/jobs/job_0_unknown', poll(key))).headers.get('retry-after'));
    expect(waits.size).toBeGreaterThan(1);
  });
});

describe('isolation', () => {
  it('should keep admitting tenant B at once while tenant A is being refused', { timeout: 60_000 }, async () => {
    const request = limitedApp();
    const keyA = await createTenant('noisya', 'pro');
    const keyB = await createTenant('quietb', 'pro');
    await override('noisya', { requestsPerMinute: 5 });
    // Warm both keys into the auth cache, so what follows is the rate-limit path alone.
    for (const key of [keyA, keyB]) await request('/v1/images/jobs/job_0_unknown', poll(key));
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const timeB = async () => {
      const start = performance.now();
      const response = await request('/v1/images/jobs/job_0_unknown', poll(keyB));
      return { status: response.status, ms: performance.now() - start };
    };
    const baseline: number[] = [];
    for (let i = 0; i < 10; i++) baseline.push((await timeB()).ms);

    // A hammers its key from 16 connections (a closed loop, as real clients do) and is refused throughout.
    let stop = false;
    const statusesA: number[] = [];
    const flood = Promise.all(
      Array.from({ length: 16 }, async () => {
        while (!stop) {
          statusesA.push((await request('/v1/images/jobs/job_0_unknown', poll(keyA))).status);
          // A real client's next request arrives over the network. Here, a refusal the isolate answers from memory does
          // no I/O, so without this turn of the event loop the 16 loops would never let B's requests in at all.
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
      }),
    );
    const during: Awaited<ReturnType<typeof timeB>>[] = [];
    for (let i = 0; i < 20; i++) during.push(await timeB());
    // B may be served from an allowance faster than A's loops turn: A keeps flooding until it has sent its 50 (bounded).
    for (let waited = 0; statusesA.length <= 50 && waited < 2_000; waited++) await new Promise((resolve) => setTimeout(resolve, 5));
    stop = true;
    await flood;

    expect(statusesA.length).toBeGreaterThan(50);
    expect(statusesA.filter((status) => status === 429).length).toBeGreaterThanOrEqual(statusesA.length - 5);
    // B was admitted every time, and only B's own requests came out of B's bucket.
    expect(during.every((result) => result.status === 404)).toBe(true);
    const usageB = (await (await call('/v1/admin/tenants/quietb/usage', { headers: admin })).json()) as { perDay: { requests: number; throttled: number }[] };
    // B's 31, plus what an allowance it was handed ahead (it sent two or more in 100 ms) has not spent or given back yet.
    expect(usageB.perDay.at(-1)?.throttled).toBe(0);
    expect(usageB.perDay.at(-1)?.requests).toBeGreaterThanOrEqual(31);
    expect(usageB.perDay.at(-1)?.requests).toBeLessThan(31 + MAX_ALLOWANCE);
    // Everything here shares one workerd thread, so B pays for A's CPU, never for A's queue:
    // B's median stays within a few A-requests of its quiet median.
    expect(median(during.map((result) => result.ms))).toBeLessThan(Math.max(50, median(baseline) * 20));
  });
});

describe('admitGeneration', () => {
  it('should refuse n, sizes and qualities the plan does not allow with a 400 naming the parameter', async () => {
    const request = limitedApp();
    const key = await createTenant('freeshape', 'free');
    const tooMany = await request('/v1/images/generations', generation(key, { n: 2 }));
    expect(tooMany.status).toBe(400);
    expect(await errorOf(tooMany)).toMatchObject({ param: 'n', code: 'not_allowed_on_plan', type: 'invalid_request_error' });
    const wide = await request('/v1/images/generations', generation(key, { size: '1536x1024' }));
    expect(wide.status).toBe(400);
    const error = await errorOf(wide);
    expect(error.param).toBe('size');
    expect(error.message).toMatch(/256x256/);

    await override('freeshape', { qualities: ['low'] });
    const high = await request('/v1/images/generations', generation(key, { quality: 'high' }));
    expect(high.status).toBe(400);
    expect((await errorOf(high)).param).toBe('quality');
  });

  it('should hold one concurrency slot per job until the job is released', async () => {
    const request = limitedApp();
    const key = await createTenant('freeslot', 'free');
    const first = await request('/v1/images/generations', generation(key, { size: '256x256', jobId: 'job_slot_1' }));
    expect(first.status).toBe(201);
    const second = await request('/v1/images/generations', generation(key, { size: '256x256', jobId: 'job_slot_2' }));
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await errorOf(second)).toMatchObject({ code: 'rate_limit_exceeded', type: 'concurrent' });
    // The queue frees the slot when the job ends; releasing twice is harmless.
    await releaseJobSlot(env, 'freeslot', 'job_slot_1');
    await releaseJobSlot(env, 'freeslot', 'job_slot_1');
    const third = await request('/v1/images/generations', generation(key, { size: '256x256', jobId: 'job_slot_3' }));
    expect(third.status).toBe(201);
  });

  it('should count n against the image bucket and take nothing from a refused request', async () => {
    const request = limitedApp();
    const key = await createTenant('imgbucket', 'pro');
    await override('imgbucket', { imagesPerMinute: 10, concurrentJobs: 10 });
    const six = await request('/v1/images/generations', generation(key, { n: 6 }));
    expect(six.status).toBe(201);
    expect(six.headers.get('x-ratelimit-remaining-images')).toBe('4');
    const again = await request('/v1/images/generations', generation(key, { n: 6 }));
    expect(again.status).toBe(429);
    expect(await errorOf(again)).toMatchObject({ code: 'rate_limit_exceeded', type: 'images' });
    expect(again.headers.get('x-ratelimit-remaining-images')).toBe('4');
    const four = await request('/v1/images/generations', generation(key, { n: 4 }));
    expect(four.status).toBe(201);
    expect(four.headers.get('x-ratelimit-remaining-images')).toBe('0');
  });

  it('should free its slot through noJob() when the job is never enqueued', async () => {
    const key = await createTenant('relslot', 'free');
    const app = new Hono<AppEnv>();
    app.onError((error) => (error instanceof ApiError ? toErrorResponse(error) : Promise.reject(error)));
    app.use('*', apiKeyAuth(), rateLimit({ configTtlMs: 0 }));
    app.post('/gen', async (c) => {
      const admission = await admitGeneration(c, 1, '256x256', 'auto');
      await admission.noJob('charged');
      await admission.noJob('charged');
      return c.json({ ok: true });
    });
    for (let i = 0; i < 3; i++) {
      expect((await app.request('/gen', { method: 'POST', headers: { authorization: `Bearer ${key}` } }, env)).status).toBe(200);
    }
  });
});

describe('auth throttle', () => {
  // A made-up tenant per attempt: these tests are about the per-address count, not the per-tenant one.
  let attempt = 0;
  const badKey = () => `lk_nobody${attempt++}_${'a'.repeat(32)}${'0'.repeat(16)}`;

  it('should answer 429 auth_throttled after 20 failures a minute from one IP, and only to that IP', async () => {
    const ip = '203.0.113.7';
    const good = await createTenant('throttleok', 'pro');
    const cachedGood = await createTenant('throttlecached', 'pro');
    const get = (key: string, from: string) => call('/v1/images/jobs/job_0_x', { headers: { authorization: `Bearer ${key}`, 'cf-connecting-ip': from } });
    expect((await get(cachedGood, ip)).status).toBe(404);
    for (let i = 0; i < 20; i++) expect((await get(badKey(), ip)).status).toBe(401);
    const throttled = await get(badKey(), ip);
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await errorOf(throttled)).toMatchObject({ code: 'auth_throttled', type: 'auth_failures' });
    // Junk is refused the same way, and so is a real key this isolate has not verified yet.
    expect((await call('/v1/images/jobs/job_0_x', { headers: { authorization: 'Basic abc', 'cf-connecting-ip': ip } })).status).toBe(429);
    expect((await get(good, ip)).status).toBe(429);
    // A key already verified in this isolate keeps working; other IPs are untouched.
    expect((await get(cachedGood, ip)).status).toBe(404);
    expect((await get(badKey(), '203.0.113.8')).status).toBe(401);
    expect((await get(good, '203.0.113.8')).status).toBe(404);
  });

  it('should add up failures across isolates through the IP\'s shard', async () => {
    const ip = '203.0.113.99';
    // Two auth instances stand for two isolates: each has its own local count.
    const first = limitedApp({ shareFailureCounts: true });
    const second = limitedApp({ shareFailureCounts: true });
    for (let i = 0; i < 10; i++) expect((await first('/v1/images/jobs/x', poll(badKey(), ip))).status).toBe(401);
    for (let i = 0; i < 9; i++) expect((await second('/v1/images/jobs/x', poll(badKey(), ip))).status).toBe(401);
    // The 20th failure overall (the 10th in this isolate) crosses the shared limit...
    expect((await second('/v1/images/jobs/x', poll(badKey(), ip))).status).toBe(401);
    // ...so the next attempt is throttled even though neither isolate saw 20 on its own.
    expect((await second('/v1/images/jobs/x', poll(badKey(), ip))).status).toBe(429);
  });
});

describe('a submission through the real routes', () => {
  it('should spend one request token whether admission runs (in its one Tenant call) or the request ends before it', async () => {
    const key = await createTenant('tokenonce', 'pro', { requestsPerMinute: 3 });
    const submit = (body: unknown) =>
      call('/v1/images/generations', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', prefer: 'respond-async' }, body: JSON.stringify(body) });
    const invalid = await submit({ prompt: 'a red circle', size: '17x17' });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('x-ratelimit-remaining-requests')).toBe('2');
    const queued = await submit({ prompt: 'a red circle on a blue background', size: '256x256' });
    expect(queued.status).toBe(202);
    expect(queued.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    const job = ((await queued.json()) as { id: string }).id;
    const blocked = await submit({ prompt: '' });
    expect(blocked.status).toBe(400);
    expect(blocked.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const refused = await submit({ prompt: 'a red circle on a blue background', size: '256x256' });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { type: string } }).error.type).toBe('requests');

    const usage = (await (await call('/v1/admin/tenants/tokenonce/usage', { headers: admin })).json()) as { perMinute: { requests: number; images: number; throttled: number }[] };
    const total = usage.perMinute.reduce((sum, window) => ({ requests: sum.requests + window.requests, images: sum.images + window.images, throttled: sum.throttled + window.throttled }), { requests: 0, images: 0, throttled: 0 });
    expect(total).toEqual({ requests: 3, images: 1, throttled: 1 });
    expect((await call(`/v1/images/jobs/${job}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
  });
});
