import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../../gateway/env.js';
import { ApiError, NotFoundError, toErrorResponse } from '../../gateway/errors.js';
import { DEFAULT_TIER_LIMITS, SURGE_PROFILE } from '../../gateway/limits.js';
import { apiKeyAuth } from '../../gateway/middleware/auth.js';
import { admitGeneration } from '../../gateway/jobs/slots.js';
import { rateLimit } from '../../gateway/middleware/rate-limit.js';
import { liveTierConfig } from '../../gateway/tier-limits.js';
import { ADMIN_SECRET, call, createTenant, env } from './helpers.js';

const admin = { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' };
const adminCall = (method: string, path: string, body?: unknown) =>
  call(`/v1/admin${path}`, { method, headers: admin, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

/** apiKeyAuth + rateLimit + admitGeneration as the images route wires them, reading live limits on every call. */
function limitedApp() {
  const app = new Hono<AppEnv>();
  app.onError((error) => (error instanceof ApiError ? toErrorResponse(error) : Promise.reject(error)));
  app.use('*', apiKeyAuth(), rateLimit({ configTtlMs: 0 }));
  app.get('/jobs/:id', () => {
    throw new NotFoundError('No such job.');
  });
  app.post('/generations', async (c) => {
    const { size } = (await c.req.json()) as { size: '256x256' | '1024x1024' };
    const admission = await admitGeneration(c, 1, size, 'auto');
    await admission.noJob('charged');
    return c.json({ ok: true }, 201);
  });
  return {
    poll: (key: string) => app.request('/jobs/job_0_x', { headers: { authorization: `Bearer ${key}` } }, env),
    generate: (key: string, size: '256x256' | '1024x1024') =>
      app.request('/generations', { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: JSON.stringify({ size }) }, env),
  };
}

type TierView = { tier: string; surge: boolean; limits: typeof DEFAULT_TIER_LIMITS.free; base: typeof DEFAULT_TIER_LIMITS.free };

describe('tier limits', () => {
  it('should read each tier\'s defaults from gateway/limits.ts', async () => {
    const response = await adminCall('GET', '/tiers/pro');
    expect(response.status).toBe(200);
    const view = (await response.json()) as TierView;
    expect(view.base).toEqual(DEFAULT_TIER_LIMITS.pro);
    expect(view.base).toMatchObject({ requestsPerMinute: 300, imagesPerMinute: 120, concurrentJobs: 8, maxN: 10 });
    const all = (await (await adminCall('GET', '/tiers')).json()) as { tiers: TierView[] };
    expect(all.tiers.map((tier) => tier.tier)).toEqual(['free', 'plus', 'pro', 'enterprise']);
  });

  it('should change a tier\'s limits live for every tenant on it, and reset them', async () => {
    const app = limitedApp();
    const key = await createTenant('plusone', 'plus');
    const put = await adminCall('PUT', '/tiers/plus', { requestsPerMinute: 2 });
    expect(put.status).toBe(200);
    const view = (await put.json()) as TierView;
    expect(view.limits).toEqual({ ...DEFAULT_TIER_LIMITS.plus, requestsPerMinute: 2 });
    try {
      expect((await app.poll(key)).status).toBe(404);
      expect((await app.poll(key)).status).toBe(404);
      const refused = await app.poll(key);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('x-ratelimit-limit-requests')).toBe('2');
    } finally {
      const reset = (await (await adminCall('DELETE', '/tiers/plus')).json()) as TierView;
      expect(reset.limits).toEqual(DEFAULT_TIER_LIMITS.plus);
    }
  });

  it('should refuse invalid limits and unknown tiers', async () => {
    expect((await adminCall('PUT', '/tiers/plus', { requestsPerMinute: -1 })).status).toBe(400);
    expect((await adminCall('PUT', '/tiers/plus', { sizes: ['999x999'] })).status).toBe(400);
    expect((await adminCall('PUT', '/tiers/plus', { burst: 3 })).status).toBe(400);
    expect((await adminCall('PUT', '/tiers/gold', { maxN: 2 })).status).toBe(404);
    expect((await call('/v1/admin/tiers/plus', { method: 'PUT', headers: { authorization: 'Bearer nope' }, body: '{}' })).status).toBe(401);
  });

  it('should let an admin set limits for one tenant alone, over its tier\'s', async () => {
    const app = limitedApp();
    const key = await createTenant('bigcorp', 'enterprise');
    const put = await adminCall('PUT', '/tenants/bigcorp/limits', { requestsPerMinute: 1 });
    expect(((await put.json()) as { limitsOverride: unknown }).limitsOverride).toEqual({ requestsPerMinute: 1 });
    expect((await app.poll(key)).status).toBe(404);
    expect((await app.poll(key)).status).toBe(429);
    const cleared = await adminCall('DELETE', '/tenants/bigcorp/limits');
    expect(((await cleared.json()) as { limitsOverride: unknown }).limitsOverride).toBeNull();
    expect((await app.poll(key)).headers.get('x-ratelimit-limit-requests')).toBe('600');
    expect((await adminCall('PUT', '/tenants/nosuchtenant/limits', { maxN: 2 })).status).toBe(404);
  });
});

describe('surge mode', () => {
  it('should lower the free tier to the surge profile and restore it', async () => {
    const app = limitedApp();
    const key = await createTenant('surgefree', 'free');
    expect((await app.generate(key, '1024x1024')).status).toBe(201);
    const on = (await (await adminCall('POST', '/surge', { enabled: true })).json()) as { surge: boolean; tiers: TierView[] };
    try {
      expect(on.surge).toBe(true);
      const free = on.tiers.find((tier) => tier.tier === 'free')!;
      expect(free.limits).toMatchObject(SURGE_PROFILE.free!);
      expect(free.base).toEqual(DEFAULT_TIER_LIMITS.free);
      // Paid tiers are untouched.
      expect(on.tiers.find((tier) => tier.tier === 'pro')!.limits).toEqual(DEFAULT_TIER_LIMITS.pro);
      expect((await liveTierConfig(env, 0)).surge).toBe(true);
      const refused = await app.generate(key, '1024x1024');
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { param: string } }).error.param).toBe('size');
      expect((await app.generate(key, '256x256')).status).toBe(201);
    } finally {
      const off = (await (await adminCall('POST', '/surge', { enabled: false })).json()) as { surge: boolean; tiers: TierView[] };
      expect(off.surge).toBe(false);
      expect(off.tiers.find((tier) => tier.tier === 'free')!.limits).toEqual(DEFAULT_TIER_LIMITS.free);
    }
    expect((await app.generate(key, '1024x1024')).status).toBe(201);
    expect((await adminCall('POST', '/surge', { enabled: 'yes' })).status).toBe(400);
  });
});

describe('usage', () => {
  it('should count requests and images per minute and per day in the Tenant object', async () => {
    const app = limitedApp();
    const key = await createTenant('usagecount', 'pro');
    // Spaced past the isolate's 100 ms allowance window: two requests in one window make it take tokens
    // ahead, which count as requests until its next call gives back the unspent ones (isolate-buckets.ts).
    for (let i = 0; i < 3; i++) {
      await app.poll(key);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    await app.generate(key, '256x256');
    const response = await adminCall('GET', '/tenants/usagecount/usage');
    expect(response.status).toBe(200);
    const usage = (await response.json()) as {
      tier: string;
      concurrentJobs: number;
      perMinute: { start: number; requests: number; images: number }[];
      perDay: { start: number; requests: number; images: number }[];
      rate: { requests: { capacity: number; remaining: number } };
    };
    expect(usage.tier).toBe('pro');
    expect(usage.concurrentJobs).toBe(0);
    const total = (windows: { requests: number; images: number }[]) =>
      windows.reduce((sum, window) => ({ requests: sum.requests + window.requests, images: sum.images + window.images }), { requests: 0, images: 0 });
    expect(total(usage.perMinute)).toEqual({ requests: 4, images: 1 });
    expect(total(usage.perDay)).toEqual({ requests: 4, images: 1 });
    expect(usage.perDay.at(-1)!.start % 86_400_000).toBe(0);
    expect(usage.rate.requests).toMatchObject({ capacity: 300 });
    expect((await adminCall('GET', '/tenants/nobodyatall/usage')).status).toBe(404);
  });
});
