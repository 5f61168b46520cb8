import { runDurableObjectAlarm } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { LeaseResponse } from '../../protocol/jobs.js';
import { shardStub } from '../../gateway/queue.js';
import { call, createTenant, env, internal } from './helpers.js';

const params = { prompt: 'a red circle', n: 1, width: 256, height: 256, quality: 'auto', outputFormat: 'png', outputCompression: 100, seed: 7, partialImages: 0 } as const;

describe('internal API signature', () => {
  it('should refuse an unsigned lease call', async () => {
    const response = await call('/internal/lease', { method: 'POST', body: '{"workerId":"w","slots":1}' });
    expect(response.status).toBe(401);
  });

  it('should refuse a call signed with the wrong secret', async () => {
    const response = await internal('POST', '/internal/lease', { workerId: 'w', slots: 1 }, 'wrong-secret');
    expect(response.status).toBe(401);
  });

  it('should answer an empty queue with no jobs when not asked to wait', async () => {
    const response = await internal('POST', '/internal/lease', { workerId: 'w', slots: 1, waitMs: 0 });
    expect(response.status).toBe(200);
    expect(((await response.json()) as LeaseResponse).jobs).toEqual([]);
  });
});

describe('QueueShard', () => {
  it('should lease paid work ahead of older free work', async () => {
    const shard = shardStub(env, 900);
    await shard.enqueue({ id: 'job_p0_free', tenantId: 't1', tier: 'free', params, queueLimit: 100 });
    await shard.enqueue({ id: 'job_p0_pro', tenantId: 't2', tier: 'pro', params, queueLimit: 100 });
    const leased = await shard.lease('w1', 2);
    expect(leased.map((job) => job.id)).toEqual(['job_p0_pro', 'job_p0_free']);
  });

  it('should fence completions by lease id', async () => {
    const shard = shardStub(env, 901);
    await shard.enqueue({ id: 'job_f_1', tenantId: 't', tier: 'pro', params, queueLimit: 100 });
    const [lease] = await shard.lease('w1', 1);
    expect(lease).toBeDefined();
    const stale = await shard.complete('job_f_1', 'not-the-lease', [], { inputTokens: 1, outputTokens: 1 });
    expect(stale).toEqual({ ok: false, reason: 'stale_lease' });
    const done = await shard.complete('job_f_1', lease!.leaseId, [{ index: 0, key: 'k', contentType: 'image/png', bytes: 1 }], { inputTokens: 1, outputTokens: 1 });
    expect(done.ok).toBe(true);
    const twice = await shard.complete('job_f_1', lease!.leaseId, [], { inputTokens: 1, outputTokens: 1 });
    expect(twice.ok).toBe(false);
  });

  it('should requeue an expired lease with its checkpoint, and reject the old worker', async () => {
    const shard = shardStub(env, 902);
    await shard.enqueue({ id: 'job_x_1', tenantId: 't', tier: 'pro', params, queueLimit: 100 });
    const [first] = await shard.lease('w1', 1);
    const checkpoint = { passesDone: 2, grids: [{ rows: 2, cols: 2, codebookSize: 256, tokensBase64: 'AAAAAAAAAAAAAAAAAAAAAA==' }] };
    expect(await shard.heartbeat('job_x_1', first!.leaseId, 2, checkpoint)).toEqual({ keep: true });

    // The worker dies: no more heartbeats. Once the lease is past due, the alarm
    // requeues it; it may already have fired on its own, and running it again is harmless.
    await new Promise((resolve) => setTimeout(resolve, Number(env.LEASE_TTL_MS ?? 10_000) + 50));
    await runDurableObjectAlarm(shard);
    await runDurableObjectAlarm(shard);
    const [second] = await shard.lease('w2', 1);
    expect(second?.attempt).toBe(2);
    expect(second?.passesDone).toBe(2);
    expect(second?.checkpoint).toEqual(checkpoint);
    expect(await shard.heartbeat('job_x_1', first!.leaseId, 3)).toEqual({ keep: false });
    expect((await shard.complete('job_x_1', first!.leaseId, [], { inputTokens: 0, outputTokens: 0 })).ok).toBe(false);
  });

  it('should fail a job for good after the last allowed attempt', async () => {
    const shard = shardStub(env, 903);
    await shard.enqueue({ id: 'job_r_1', tenantId: 't', tier: 'pro', params, queueLimit: 100 });
    const error = { message: 'boom', code: 'generation_failed', clientError: false };
    for (let attempt = 1; attempt <= 3; attempt++) {
      const [lease] = await shard.lease('w', 1);
      expect(lease?.attempt).toBe(attempt);
      await shard.fail('job_r_1', lease!.leaseId, error, true);
    }
    const job = await shard.get('job_r_1', 't');
    expect(job?.status).toBe('failed');
    expect(job?.error?.message).toBe('boom');
  });
});

describe('fair share between tenants of one tier', () => {
  it('should not let a flooding pro tenant starve another pro tenant', async () => {
    const shard = shardStub(env, 904);
    for (let i = 0; i < 40; i++) await shard.enqueue({ id: `job_fair_flood${i}`, tenantId: 'flood', tier: 'pro', params, queueLimit: 1000 });
    for (let i = 0; i < 4; i++) await shard.enqueue({ id: `job_fair_small${i}`, tenantId: 'small', tier: 'pro', params, queueLimit: 1000 });
    // The small tenant's last job is the 44th in age order, but about the 8th in fair order.
    const position = (await shard.get('job_fair_small3', 'small'))?.queuePosition ?? Infinity;
    expect(position).toBeLessThan(10);
    const leased = await shard.lease('w', 8);
    expect(leased.filter((job) => job.tenantId === 'small')).toHaveLength(4);
  });
});

describe('tenant isolation', () => {
  it('should answer 404 for another tenant\'s job', async () => {
    const ownerKey = await createTenant('owner', 'pro');
    const otherKey = await createTenant('other', 'pro');
    const shard = shardStub(env, 0);
    const id = `job_0_${'a'.repeat(32)}`;
    await shard.enqueue({ id, tenantId: 'owner', tier: 'pro', params, queueLimit: 100 });
    const mine = await call(`/v1/images/jobs/${id}`, { headers: { authorization: `Bearer ${ownerKey}` } });
    expect(mine.status).toBe(200);
    expect(((await mine.json()) as { status: string }).status).toBe('queued');
    const theirs = await call(`/v1/images/jobs/${id}`, { headers: { authorization: `Bearer ${otherKey}` } });
    expect(theirs.status).toBe(404);
    const missing = await call(`/v1/images/jobs/job_0_${'b'.repeat(32)}`, { headers: { authorization: `Bearer ${otherKey}` } });
    expect(missing.status).toBe(404);
  });
});
