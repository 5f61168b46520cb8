import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppEnv, Env } from '../../gateway/env.js';
import { ApiError, toErrorResponse } from '../../gateway/errors.js';
import { apiKeyAuth } from '../../gateway/middleware/auth.js';
import { createTenant, env } from './helpers.js';

/** One isolate's auth in front of a trivial route, under the given client-address settings. */
function authApp(vars: Pick<Env, 'TRUSTED_CLIENT_IP_HEADER' | 'TRUSTED_PROXY_HOPS'>) {
  const app = new Hono<AppEnv>();
  app.onError((error) => {
    if (error instanceof ApiError) return toErrorResponse(error);
    throw error;
  });
  app.use('*', apiKeyAuth());
  app.get('/whoami', (c) => c.json({ tenant: c.get('tenant').id }));
  const appEnv: Env = { ...env, TRUSTED_CLIENT_IP_HEADER: undefined, TRUSTED_PROXY_HOPS: undefined, ...vars };
  return (key: string, headers: Record<string, string> = {}) => app.request('/whoami', { headers: { authorization: `Bearer ${key}`, ...headers } }, appEnv);
}

/** The key with its last character changed: the right tenant, a wrong secret. */
function tampered(key: string, i: number): string {
  const replacement = '0123456789abcdef'[i % 16]!;
  return key.slice(0, -2) + (key.at(-2) === replacement ? '0123456789abcdef'[(i + 1) % 16]! : replacement) + key.at(-1)!;
}

describe('failed-auth throttle that rotating addresses cannot dodge', () => {
  it('should throttle 25 wrong keys sent with 25 made-up CF-Connecting-IP values when no proxy is trusted', async () => {
    const real = await createTenant('dodgeuntrusted', 'pro');
    const request = authApp({});
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await request(tampered(real, i), { 'cf-connecting-ip': `192.0.2.${i + 1}` })).status);
    expect(statuses.indexOf(429)).toBeGreaterThanOrEqual(0);
    expect(statuses.indexOf(429)).toBeLessThan(24);
    expect(statuses.every((status) => status === 401 || status === 429)).toBe(true);
    // The attacked tenant's real key, never seen by this isolate, still works.
    const ok = await request(real, { 'cf-connecting-ip': '192.0.2.200' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ tenant: 'dodgeuntrusted' });
  });

  it('should throttle one tenant\'s wrong keys from 25 real addresses, and keep its real key working', async () => {
    const real = await createTenant('dodgetrusted', 'pro');
    const request = authApp({ TRUSTED_CLIENT_IP_HEADER: 'cf-connecting-ip' });
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await request(tampered(real, i), { 'cf-connecting-ip': `198.51.100.${i + 1}` })).status);
    expect(statuses.indexOf(429)).toBeGreaterThanOrEqual(0);
    expect(statuses.indexOf(429)).toBeLessThan(24);
    const throttled = await request(tampered(real, 99), { 'cf-connecting-ip': '198.51.100.250' });
    expect(throttled.status).toBe(429);
    expect(((await throttled.json()) as { error: { code: string } }).error.code).toBe('auth_throttled');
    expect((await request(real, { 'cf-connecting-ip': '198.51.100.251' })).status).toBe(200);
  });

  it('should count distinct trusted addresses separately', async () => {
    const request = authApp({ TRUSTED_CLIENT_IP_HEADER: 'cf-connecting-ip' });
    const real = await createTenant('dodgeseparate', 'pro');
    // Made-up tenants, one per attempt, so only the address's count grows.
    const madeUp = (i: number) => `lk_dodgenone${i}_${'A'.repeat(32)}${'0'.repeat(16)}`;
    for (let i = 0; i < 20; i++) expect((await request(madeUp(i), { 'cf-connecting-ip': '203.0.113.60' })).status).toBe(401);
    expect((await request(madeUp(20), { 'cf-connecting-ip': '203.0.113.60' })).status).toBe(429);
    // Another address is its own count.
    expect((await request(madeUp(21), { 'cf-connecting-ip': '203.0.113.61' })).status).toBe(401);
    expect((await request(real, { 'cf-connecting-ip': '203.0.113.61' })).status).toBe(200);
  });

  it('should take the address the trusted proxy appended to X-Forwarded-For, not what the client wrote before it', async () => {
    const request = authApp({ TRUSTED_CLIENT_IP_HEADER: 'x-forwarded-for', TRUSTED_PROXY_HOPS: '1' });
    const madeUp = (i: number) => `lk_dodgexff${i}_${'B'.repeat(32)}${'1'.repeat(16)}`;
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await request(madeUp(i), { 'x-forwarded-for': `10.9.${i}.1, 203.0.113.70` })).status);
    expect(statuses.slice(0, 20).every((status) => status === 401)).toBe(true);
    expect(statuses[20]).toBe(429);
    expect((await request(madeUp(99), { 'x-forwarded-for': '203.0.113.70, 203.0.113.71' })).status).toBe(401);
  });
});
