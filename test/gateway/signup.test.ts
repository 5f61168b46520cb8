import { runInDurableObject } from 'cloudflare:test';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppEnv } from '../../gateway/env.js';
import { ApiError, toErrorResponse } from '../../gateway/errors.js';
import { TENANT_ID } from '../../gateway/keys.js';
import { SIGNUP_SHARDS } from '../../gateway/limits.js';
import { signupShardAt, signupShardIndex, signupShardOfTenant, signupTenantId, type SignupShard } from '../../gateway/objects/signup-shard.js';
import { signupRoutes } from '../../gateway/routes/signup.js';
import { ADMIN_SECRET, call, env } from './helpers.js';

const admin = { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' };

/** The signup route with no config cache, so a limit an admin changes applies to the very next call. */
function liveSignup() {
  const app = new Hono<AppEnv>();
  app.onError((error) => (error instanceof ApiError ? toErrorResponse(error) : Promise.reject(error)));
  app.route('/v1/signup', signupRoutes({ configTtlMs: 0 }));
  return (ip: string, body?: unknown) =>
    app.request('/v1/signup', { method: 'POST', headers: { 'cf-connecting-ip': ip, 'content-type': 'application/json' }, body: body === undefined ? null : JSON.stringify(body) }, env);
}

const signupAt = (ip: string, body?: string) =>
  call('/v1/signup', { method: 'POST', headers: { 'cf-connecting-ip': ip, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body }) });

async function errorOf(response: Response) {
  return ((await response.json()) as { error: { message: string; type: string; param: string | null; code: string | null } }).error;
}

afterEach(async () => {
  // Back to the defaults of gateway/limits.ts for the next test.
  await call('/v1/admin/signup', { method: 'PUT', headers: admin, body: JSON.stringify({ perIpPerHour: 5, globalPerMinute: 300 }) });
});

describe('POST /v1/signup', () => {
  it('should create a free tenant with one working key, shown once', async () => {
    const response = await signupAt('192.0.2.1', JSON.stringify({ email: 'ada@example.com', name: 'Ada' }));
    expect(response.status).toBe(201);
    const body = (await response.json()) as { tenant: string; key: string; tier: string };
    expect(Object.keys(body).sort()).toEqual(['key', 'tenant', 'tier']);
    expect(body.tier).toBe('free');
    expect(body.tenant).toMatch(TENANT_ID);
    expect(body.key).toMatch(new RegExp(`^lk_${body.tenant}_[A-Za-z0-9]{32}[0-9a-f]{16}$`));
    const job = await call('/v1/images/jobs/job_0_nothing', { headers: { authorization: `Bearer ${body.key}` } });
    expect(job.status).toBe(404);
    const described = (await (await call(`/v1/admin/tenants/${body.tenant}`, { headers: admin })).json()) as { tier: string; keys: { name: string }[] };
    expect(described.tier).toBe('free');
    expect(described.keys).toHaveLength(1);
    // Only the hash is kept: nothing the admin API returns contains the secret.
    expect(JSON.stringify(described)).not.toContain(body.key.slice(-32));
  });

  it('should accept an empty body and give every signup a fresh tenant', async () => {
    const first = (await (await signupAt('192.0.2.2')).json()) as { tenant: string };
    const second = (await (await signupAt('192.0.2.2', '{}')).json()) as { tenant: string };
    expect(first.tenant).not.toBe(second.tenant);
  });

  it('should refuse a bad email, unknown fields and broken JSON with a 400', async () => {
    const badEmail = await signupAt('192.0.2.3', JSON.stringify({ email: 'not-an-email' }));
    expect(badEmail.status).toBe(400);
    expect((await errorOf(badEmail)).param).toBe('email');
    expect((await signupAt('192.0.2.3', JSON.stringify({ tier: 'pro' }))).status).toBe(400);
    expect((await signupAt('192.0.2.3', '{"email":')).status).toBe(400);
    expect((await signupAt('192.0.2.3', JSON.stringify({ name: 'x'.repeat(5000) }))).status).toBe(413);
  });

  it('should limit signups per IP exactly, with a jittered Retry-After, and leave other IPs alone', async () => {
    for (let i = 0; i < 5; i++) expect((await signupAt('192.0.2.50')).status).toBe(201);
    const refused = await signupAt('192.0.2.50');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await errorOf(refused)).toMatchObject({ code: 'rate_limit_exceeded', type: 'signups' });
    expect((await signupAt('192.0.2.51')).status).toBe(201);
  });

  it('should treat requests without cf-connecting-ip as one client', async () => {
    const signup = liveSignup();
    await call('/v1/admin/signup', { method: 'PUT', headers: admin, body: JSON.stringify({ perIpPerHour: 1 }) });
    const noIp = () => call('/v1/signup', { method: 'POST' });
    const first = await noIp();
    const second = await noIp();
    // Another test file may have signed up as 'unknown' already; either way the second is over the limit.
    expect([first.status, second.status]).toContain(429);
    expect((await signup('192.0.2.60')).status).toBe(201);
  });
});

describe('signup rate', () => {
  it('should split the global rate over the shards and let admins change it live', async () => {
    const signup = liveSignup();
    // 16 a minute over 8 shards: each shard admits 2, whatever the per-IP limit.
    const put = await call('/v1/admin/signup', { method: 'PUT', headers: admin, body: JSON.stringify({ globalPerMinute: 2 * SIGNUP_SHARDS, perIpPerHour: 1000 }) });
    expect(await put.json()).toEqual({ globalPerMinute: 16, perIpPerHour: 1000 });
    const ips = Array.from({ length: 400 }, (_, i) => `10.9.${i >> 8}.${i & 255}`);
    const sameShard = ips.filter((ip) => signupShardIndex(ip) === signupShardIndex(ips[0]!)).slice(0, 3);
    const otherShard = ips.find((ip) => signupShardIndex(ip) !== signupShardIndex(ips[0]!))!;
    expect((await signup(sameShard[0]!)).status).toBe(201);
    expect((await signup(sameShard[1]!)).status).toBe(201);
    const busy = await signup(sameShard[2]!);
    expect(busy.status).toBe(429);
    expect((await errorOf(busy)).message).toMatch(/busy/);
    // Another shard still has its share.
    expect((await signup(otherShard)).status).toBe(201);

    // Closing signup applies to the next call.
    await call('/v1/admin/signup', { method: 'PUT', headers: admin, body: JSON.stringify({ globalPerMinute: 0 }) });
    const closed = await signup(otherShard);
    expect(closed.status).toBe(429);
    expect((await errorOf(closed)).message).toMatch(/closed/);
  });

  it('should spread IPs over every shard', () => {
    const used = new Set(Array.from({ length: 200 }, (_, i) => signupShardIndex(`172.16.${i}.1`)));
    expect(used.size).toBe(SIGNUP_SHARDS);
  });

  it('should refuse a negative or unknown signup setting', async () => {
    expect((await call('/v1/admin/signup', { method: 'PUT', headers: admin, body: '{"globalPerMinute":-1}' })).status).toBe(400);
    expect((await call('/v1/admin/signup', { method: 'PUT', headers: admin, body: '{"perDay":3}' })).status).toBe(400);
    expect((await call('/v1/admin/signup', { method: 'PUT', body: '{"globalPerMinute":1}' })).status).toBe(401);
  });
});

/** The signup row the admitting shard keeps for `tenant`, read in place (adopting it would change it). */
async function signupRow(tenant: string): Promise<{ adopted_at: number | null } | undefined> {
  const index = signupShardOfTenant(tenant);
  if (index === null) throw new Error(`${tenant} is not a signup tenant id`);
  return runInDurableObject(signupShardAt(env, index), (_: SignupShard, state: DurableObjectState) =>
    state.storage.sql.exec<{ adopted_at: number | null }>('SELECT adopted_at FROM signups WHERE tenant_id = ?', tenant).toArray()[0],
  );
}

describe('signups adopted at first use', () => {
  it('should name the admitting shard in the tenant id, for every shard', () => {
    for (let index = 0; index < SIGNUP_SHARDS + 30; index++) {
      const id = signupTenantId(index);
      expect(id).toMatch(TENANT_ID);
      expect(signupShardOfTenant(id)).toBe(index);
    }
    expect(signupShardOfTenant('acme')).toBeNull();
    expect(signupShardOfTenant(`u${'0'.repeat(19)}`)).toBeNull();
  });

  it('should keep the signup in its shard until the key is first used, then hand it to the tenant once', async () => {
    const { tenant, key } = (await (await signupAt('192.0.2.70', JSON.stringify({ email: 'grace@example.com' }))).json()) as { tenant: string; key: string };
    expect(signupShardOfTenant(tenant)).toBe(signupShardIndex('192.0.2.70'));
    expect(await signupRow(tenant)).toEqual({ adopted_at: null });

    const auth = { authorization: `Bearer ${key}` };
    expect((await call('/v1/images/jobs/job_0_nothing', { headers: auth })).status).toBe(404);
    const adopted = await signupRow(tenant);
    expect(adopted?.adopted_at).toBeTypeOf('number');
    // Used again (and described), the tenant has its one key: nothing is adopted twice.
    expect((await call('/v1/images/jobs/job_0_nothing', { headers: auth })).status).toBe(404);
    const described = (await (await call(`/v1/admin/tenants/${tenant}`, { headers: admin })).json()) as { tier: string; keys: { name: string }[] };
    expect(described).toMatchObject({ tier: 'free', keys: [{ name: 'signup' }] });
    expect(await signupRow(tenant)).toEqual(adopted);
  });

  it('should let an admin see and upgrade a tenant whose key was never used, and the key then works on the new tier', async () => {
    const { tenant, key } = (await (await signupAt('192.0.2.71')).json()) as { tenant: string; key: string };
    const upgraded = await call(`/v1/admin/tenants/${tenant}`, { method: 'PUT', headers: admin, body: JSON.stringify({ tier: 'pro' }) });
    expect(upgraded.status).toBe(200);
    expect(await upgraded.json()).toMatchObject({ tier: 'pro', keys: [{ name: 'signup' }] });
    const usage = await call('/v1/images/jobs/job_0_nothing', { headers: { authorization: `Bearer ${key}` } });
    expect(usage.status).toBe(404);
    expect(usage.headers.get('x-ratelimit-limit-reads')).not.toBeNull();
    const tiered = (await (await call(`/v1/admin/tenants/${tenant}/usage`, { headers: admin })).json()) as { tier: string };
    expect(tiered.tier).toBe('pro');
  });

  it('should refuse an admin tier change with 503 while the signup cannot be adopted, and apply it once the shard answers again', async () => {
    const { tenant, key } = (await (await signupAt('192.0.2.72')).json()) as { tenant: string; key: string };
    const shard = signupShardAt(env, signupShardOfTenant(tenant)!);
    // The shard fails for real: its signups table is out of the way, so adopting reads nothing and throws.
    const moveSignups = (from: string, to: string) => runInDurableObject(shard, (_: SignupShard, state: DurableObjectState) => void state.storage.sql.exec(`ALTER TABLE ${from} RENAME TO ${to}`));
    await moveSignups('signups', 'signups_away');
    const upgrade = () => call(`/v1/admin/tenants/${tenant}`, { method: 'PUT', headers: admin, body: JSON.stringify({ tier: 'pro' }) });
    try {
      const refused = await upgrade();
      expect(refused.status).toBe(503);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await errorOf(refused)).toMatchObject({ type: 'server_error', code: 'signup_not_adopted' });
    } finally {
      await moveSignups('signups_away', 'signups');
    }
    // Nothing was written without the key: the retry adopts the signup, then upgrades it, and the key works.
    const upgraded = await upgrade();
    expect(upgraded.status).toBe(200);
    expect(await upgraded.json()).toMatchObject({ tier: 'pro', keys: [{ name: 'signup' }] });
    expect((await call('/v1/images/jobs/job_0_nothing', { headers: { authorization: `Bearer ${key}` } })).status).toBe(404);
  });

  it('should know no tenant under a signup-shaped id that no shard admitted', async () => {
    const unknown = signupTenantId(0);
    expect((await call(`/v1/admin/tenants/${unknown}`, { headers: admin })).status).toBe(404);
  });

  it('should hold a concurrent flood from one address to its limit while other addresses all sign up', async () => {
    const signup = liveSignup();
    // The global rate out of the way: this is about the per-address limit under concurrency.
    await call('/v1/admin/signup', { method: 'PUT', headers: admin, body: JSON.stringify({ perIpPerHour: 5, globalPerMinute: 100_000 }) });
    const flood = Array.from({ length: 40 }, () => signup('192.0.2.99'));
    const others = Array.from({ length: 40 }, (_, i) => signup(`198.18.${i >> 8}.${i & 255}`));
    const floodStatuses = (await Promise.all(flood)).map((response) => response.status);
    const otherStatuses = (await Promise.all(others)).map((response) => response.status);
    expect(floodStatuses.filter((status) => status === 201)).toHaveLength(5);
    expect(floodStatuses.filter((status) => status === 429)).toHaveLength(35);
    expect(otherStatuses.every((status) => status === 201)).toBe(true);
  });
});
