import { describe, expect, it } from 'vitest';
import type { LeaseResponse } from '../../protocol/jobs.js';
import { shardCount, shardOfJob, shardStub } from '../../gateway/queue.js';
import { signImageUrl } from '../../gateway/signed-urls.js';
import { call, createTenant, env, internal } from './helpers.js';

const json = { 'content-type': 'application/json' };
/** These tests are about the queue, not the plan limits, so their tenants get room. */
const LIFTED = { requestsPerMinute: 10_000, imagesPerMinute: 10_000, concurrentJobs: 10_000 };
const params = { prompt: 'p', n: 1, width: 256, height: 256, quality: 'auto', outputFormat: 'png', outputCompression: 100, seed: 1, partialImages: 0 } as const;

function generate(key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return call('/v1/images/generations', { method: 'POST', headers: { ...json, authorization: `Bearer ${key}`, ...headers }, body: JSON.stringify(body) });
}

/** Leases and fails every queued job, so later tests start from an empty queue. */
async function drain() {
  for (;;) {
    const response = await internal('POST', '/internal/lease', { workerId: 'drain', slots: 64, waitMs: 0 });
    const { jobs } = (await response.json()) as LeaseResponse;
    if (jobs.length === 0) return;
    for (const job of jobs) {
      const error = { message: 'drained by the test', code: 'drained', clientError: false };
      await internal('POST', `/internal/jobs/${job.id}/fail`, { leaseId: job.leaseId, retryable: false, error });
    }
  }
}

/** Queues async jobs until every shard holds at least `perShard` of them (bounded, in case the shards never fill). */
async function fillEveryShard(key: string, perShard: number) {
  const queuedByShard = new Map<number, number>();
  for (let i = 0; i < 400 && !(queuedByShard.size === shardCount(env) && [...queuedByShard.values()].every((queued) => queued >= perShard)); i++) {
    const response = await generate(key, { prompt: `filler ${i}` }, { prefer: 'respond-async' });
    expect(response.status).toBe(202);
    const shard = shardOfJob(((await response.json()) as { id: string }).id)!;
    queuedByShard.set(shard, (queuedByShard.get(shard) ?? 0) + 1);
  }
  expect(queuedByShard.size).toBe(shardCount(env));
}

describe('admission', () => {
  it('should defer a pro request with Prefer: wait like a free one once the queue outlasts its budget', async () => {
    const key = await createTenant('syncpro', 'pro', LIFTED);
    for (let i = 0; i < 12; i++) await generate(key, { prompt: `filler ${i}` }, { prefer: 'respond-async' });
    const response = await generate(key, { prompt: 'paid' }, { prefer: 'wait=0' });
    expect(response.status).toBe(202);
    expect(response.headers.get('lumen-admission')).toBe('deferred');
    await drain();
  });

  it('should answer Prefer: respond-async with 202, Location, position and Retry-After', async () => {
    const key = await createTenant('asyncpro', 'pro');
    const response = await generate(key, { prompt: 'a red circle', size: '256x256' }, { prefer: 'respond-async' });
    expect(response.status).toBe(202);
    expect(response.headers.get('preference-applied')).toBe('respond-async');
    const body = (await response.json()) as { id: string; status: string; queue_position: number; estimated_wait_seconds: number };
    expect(response.headers.get('location')).toBe(`/v1/images/jobs/${body.id}`);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(body.status).toBe('queued');
    expect(body.queue_position).toBeGreaterThanOrEqual(0);
    await drain();
  });

  it('should defer a free request once its wait passes the free threshold, though its own Prefer: wait is longer', async () => {
    const key = await createTenant('freeadmit', 'free', LIFTED);
    await drain();
    // Unmeasured, a shard assumes 2 s per job at a quarter of the fleet (4 shards), so one job ahead passes 10 s. Jobs land in
    // shards at random, so the queue is filled until every shard holds some: whichever shard the late job lands in, it waits.
    await fillEveryShard(key, 2);
    // A paid request would wait its 60 s here; free work's budget is FREE_SYNC_MAX_WAIT_MS (test/gateway/sync-budget.test.ts).
    const deferred = await generate(key, { prompt: 'late' }, { prefer: 'wait=60' });
    expect(deferred.status).toBe(202);
    expect(deferred.headers.get('lumen-admission')).toBe('deferred');
    const body = (await deferred.json()) as { estimated_wait_seconds: number; status: string };
    expect(body.status).toBe('queued');
    expect(body.estimated_wait_seconds).toBeGreaterThan(10);
    await drain();
  });

  it('should refuse with 503 and Retry-After only when the tier\'s bounded queue is full', async () => {
    const shard = shardStub(env, 950);
    for (let i = 0; i < 3; i++) {
      const result = await shard.enqueue({ id: `job_full_${i}`, tenantId: 't', tier: 'free', params, queueLimit: 3 });
      expect(result.outcome).toBe('created');
    }
    const refused = await shard.enqueue({ id: 'job_full_x', tenantId: 't', tier: 'free', params, queueLimit: 3 });
    expect(refused.outcome).toBe('full');
    // The paid tier's own queue is not affected by the free tier's being full.
    expect((await shard.enqueue({ id: 'job_full_pro', tenantId: 't', tier: 'pro', params, queueLimit: 3 })).outcome).toBe('created');
  });

  it('should give free jobs their share of leases even under a stream of paid work (aging)', async () => {
    const shard = shardStub(env, 951);
    for (let i = 0; i < 5; i++) await shard.enqueue({ id: `job_age_free${i}`, tenantId: 't', tier: 'free', params, queueLimit: 100 });
    let freeLeased = 0;
    for (let i = 0; i < 60; i++) {
      await shard.enqueue({ id: `job_age_pro${i}`, tenantId: 't', tier: 'pro', params, queueLimit: 1000 });
      const [job] = await shard.lease('w', 1);
      if (job?.tier === 'free') freeLeased++;
    }
    expect(freeLeased).toBeGreaterThanOrEqual(5);
  });
});

describe('idempotency', () => {
  it('should return the same job for the same key and body, and 422 for another body', async () => {
    const key = await createTenant('idem', 'pro');
    const headers = { 'idempotency-key': 'order-1234', prefer: 'respond-async' };
    const first = await generate(key, { prompt: 'a blue square', n: 1 }, headers);
    const again = await generate(key, { n: 1, prompt: 'a blue square' }, headers);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);
    const other = await generate(key, { prompt: 'a green square' }, headers);
    expect(other.status).toBe(422);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('idempotency_key_reused');
    // Keys are per tenant: another tenant may use the same key freely.
    const otherTenant = await createTenant('idemother', 'pro');
    expect((await generate(otherTenant, { prompt: 'a green square' }, headers)).status).toBe(202);
    await drain();
  });
});

describe('cancel and events', () => {
  it('should cancel a queued job at once and refuse to cancel it twice', async () => {
    const key = await createTenant('canceller', 'pro');
    const auth = { authorization: `Bearer ${key}` };
    const created = (await (await generate(key, { prompt: 'x' }, { prefer: 'respond-async' })).json()) as { id: string };
    const cancelled = await call(`/v1/images/jobs/${created.id}/cancel`, { method: 'POST', headers: auth });
    expect(cancelled.status).toBe(200);
    expect(((await cancelled.json()) as { status: string }).status).toBe('cancelled');
    expect((await call(`/v1/images/jobs/${created.id}/cancel`, { method: 'POST', headers: auth })).status).toBe(409);
    const other = await createTenant('notcanceller', 'pro');
    expect((await call(`/v1/images/jobs/${created.id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${other}` } })).status).toBe(404);
  });

  it('should stop a running job\'s lease when it is cancelled', async () => {
    const shard = shardStub(env, 952);
    await shard.enqueue({ id: 'job_run_cancel', tenantId: 't', tier: 'pro', params, queueLimit: 10 });
    const [lease] = await shard.lease('w', 1);
    expect((await shard.cancel('job_run_cancel', 't')).ok).toBe(true);
    expect(await shard.heartbeat('job_run_cancel', lease!.leaseId, 1)).toEqual({ keep: false });
  });

  it('should replay events over SSE from Last-Event-ID', async () => {
    const key = await createTenant('eventer', 'pro');
    const auth = { authorization: `Bearer ${key}` };
    const created = (await (await generate(key, { prompt: 'x' }, { prefer: 'respond-async' })).json()) as { id: string };
    await call(`/v1/images/jobs/${created.id}/cancel`, { method: 'POST', headers: auth });
    const all = await (await call(`/v1/images/jobs/${created.id}/events`, { headers: auth })).text();
    expect(all).toMatch(/event: queued/);
    expect(all).toMatch(/event: cancelled/);
    const firstId = /id: (\d+)/.exec(all)?.[1];
    const replay = await (await call(`/v1/images/jobs/${created.id}/events`, { headers: { ...auth, 'last-event-id': firstId! } })).text();
    expect(replay).not.toMatch(/event: queued/);
    expect(replay).toMatch(/event: cancelled/);
  });
});

describe('signed image URLs', () => {
  it('should serve a valid link, and refuse tampered or expired ones with 403', async () => {
    await env.IMAGES.put('images/t/job/lease/0.png', new Uint8Array([137, 80, 78, 71]));
    const url = new URL(await signImageUrl(env, 'http://lumen.test', 'images/t/job/lease/0.png'));
    expect((await call(url.pathname + url.search)).status).toBe(200);
    const tampered = new URL(url);
    tampered.pathname = tampered.pathname.replace('0.png', '1.png');
    expect((await call(tampered.pathname + tampered.search)).status).toBe(403);
    const forged = new URL(url);
    forged.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
    expect((await call(forged.pathname + forged.search)).status).toBe(403);
    const expired = new URL(await signImageUrl(env, 'http://lumen.test', 'images/t/job/lease/0.png', 3600, Date.now() - 2 * 3600_000));
    const response = await call(expired.pathname + expired.search);
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('url_expired');
  });
});

describe('paid-reserved slots', () => {
  it('should not lease free jobs beyond maxFree, leaving the slot for paid work', async () => {
    const shard = shardStub(env, 953);
    await shard.enqueue({ id: 'job_res_free1', tenantId: 't', tier: 'free', params, queueLimit: 10 });
    await shard.enqueue({ id: 'job_res_free2', tenantId: 't', tier: 'free', params, queueLimit: 10 });
    expect(await shard.lease('w', 2, 0)).toEqual([]);
    await shard.enqueue({ id: 'job_res_pro', tenantId: 't', tier: 'pro', params, queueLimit: 10 });
    const leased = await shard.lease('w', 3, 1);
    expect(leased.map((job) => job.id)).toEqual(['job_res_pro', 'job_res_free1']);
  });
});

describe('plan limits on the real generation route', () => {
  it('should carry rate-limit headers, refuse a second concurrent free job with 429, and free the slot when the job ends', async () => {
    const key = await createTenant('freelimits', 'free');
    const first = await generate(key, { prompt: 'one', size: '256x256' }, { prefer: 'respond-async' });
    expect(first.status).toBe(202);
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('20');
    expect(first.headers.get('x-ratelimit-limit-images')).toBe('5');
    expect(first.headers.get('ratelimit-policy')).toMatch(/"requests";q=20;w=60/);
    const second = await generate(key, { prompt: 'two', size: '256x256' }, { prefer: 'respond-async' });
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const error = ((await second.json()) as { error: { code: string; type: string } }).error;
    expect(error).toMatchObject({ code: 'rate_limit_exceeded', type: 'concurrent' });
    const tooBig = await generate(key, { prompt: 'big', size: '1536x1024' }, { prefer: 'respond-async' });
    expect(tooBig.status).toBe(400);
    // Cancelling the first job ends it, which frees the slot for the next.
    const { id } = (await first.json()) as { id: string };
    await call(`/v1/images/jobs/${id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
    let third = await generate(key, { prompt: 'three', size: '256x256' }, { prefer: 'respond-async' });
    for (let i = 0; i < 20 && third.status === 429; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      third = await generate(key, { prompt: 'three', size: '256x256' }, { prefer: 'respond-async' });
    }
    expect(third.status).toBe(202);
  });
});

describe('long-poll leasing with no room for free work', () => {
  it('should hold the call while only free jobs wait, and return paid work as soon as it arrives', async () => {
    await drain();
    const freeKey = await createTenant('pollfree', 'free', LIFTED);
    const proKey = await createTenant('pollpro', 'pro', LIFTED);
    await generate(freeKey, { prompt: 'free work' }, { prefer: 'respond-async' });
    const lease = internal('POST', '/internal/lease', { workerId: 'paid-only', slots: 1, maxFree: 0, waitMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const paid = (await (await generate(proKey, { prompt: 'paid work' }, { prefer: 'respond-async' })).json()) as { id: string };
    const { jobs } = (await (await lease).json()) as LeaseResponse;
    expect(jobs.map((job) => job.id)).toEqual([paid.id]);
    await drain();
  });
});
