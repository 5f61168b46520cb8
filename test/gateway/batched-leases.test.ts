import { runDurableObjectAlarm } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { CompleteBatchResponse, LeaseResponse, LeasedJob, StoredImage } from '../../protocol/jobs.js';
import { signInternalRequest } from '../../protocol/signature.js';
import { jobIdInShard, shardOfJob, shardStub } from '../../gateway/queue.js';
import { call, env, internal, ORIGIN_SECRET } from './helpers.js';

const params = { prompt: 'a red circle', n: 1, width: 256, height: 256, quality: 'auto', outputFormat: 'png', outputCompression: 100, seed: 7, partialImages: 0 } as const;
const TTL_MS = Number(env.LEASE_TTL_MS ?? 10_000);
const usage = { inputTokens: 1, outputTokens: 4 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const checkpoint = (passesDone: number) => ({ passesDone, grids: [{ rows: 2, cols: 2, codebookSize: 256, tokensBase64: 'AAAAAAAAAAAAAAAAAAAAAA==' }] });

async function upload(job: Pick<LeasedJob, 'id' | 'leaseId'>): Promise<StoredImage> {
  const path = `/internal/jobs/${job.id}/images/0?lease=${job.leaseId}&format=png`;
  const bytes = new Uint8Array([137, 80, 78, 71]);
  const headers = await signInternalRequest(ORIGIN_SECRET, 'PUT', path, bytes);
  const response = await call(path, { method: 'PUT', body: bytes, headers: { ...headers, 'content-type': 'application/octet-stream' } });
  expect(response.status).toBe(200);
  return (await response.json()) as StoredImage;
}

async function lease(workerId: string, slots: number, maxFree?: number): Promise<LeasedJob[]> {
  const response = await internal('POST', '/internal/lease', { workerId, slots, waitMs: 0, ...(maxFree !== undefined && { maxFree }) });
  expect(response.status).toBe(200);
  return ((await response.json()) as LeaseResponse).jobs;
}

async function completeBatch(completions: unknown): Promise<Response> {
  return internal('POST', '/internal/complete', { completions });
}

async function statusOf(id: string, tenantId: string): Promise<string | undefined> {
  return (await shardStub(env, shardOfJob(id)!).get(id, tenantId))?.status;
}

describe('batched leases', () => {
  it('should hand out up to `slots` jobs in one call, across shards, paid before free and no more free than `maxFree`', async () => {
    const ids = { free1: jobIdInShard(0), free2: jobIdInShard(1), pro: jobIdInShard(1), enterprise: jobIdInShard(2) };
    await shardStub(env, 0).enqueue({ id: ids.free1, tenantId: 'bl-a', tier: 'free', params, queueLimit: 10 });
    await shardStub(env, 1).enqueue({ id: ids.free2, tenantId: 'bl-b', tier: 'free', params, queueLimit: 10 });
    await shardStub(env, 1).enqueue({ id: ids.pro, tenantId: 'bl-c', tier: 'pro', params, queueLimit: 10 });
    await shardStub(env, 2).enqueue({ id: ids.enterprise, tenantId: 'bl-d', tier: 'enterprise', params, queueLimit: 10 });

    const jobs = await lease('batch-worker', 4, 1);
    expect(jobs.map((job) => job.tier)).toEqual(['enterprise', 'pro', 'free']);
    expect(new Set(jobs.map((job) => job.leaseId)).size).toBe(3);
    const rest = await lease('batch-worker-2', 4);
    expect(rest).toHaveLength(1);

    const all = [...jobs, ...rest];
    const response = await completeBatch(await Promise.all(all.map(async (job) => ({ jobId: job.id, leaseId: job.leaseId, images: [await upload(job)], usage }))));
    expect(response.status).toBe(200);
    expect(((await response.json()) as CompleteBatchResponse).results).toEqual(all.map((job) => ({ jobId: job.id, ok: true })));
    for (const job of all) expect(await statusOf(job.id, job.tenantId)).toBe('succeeded');
  });
});

describe('batched completions', () => {
  it('should complete the good jobs of a batch and refuse only the one whose lease is stale', async () => {
    const ids = [jobIdInShard(0), jobIdInShard(1), jobIdInShard(3)];
    for (const id of ids) await shardStub(env, shardOfJob(id)!).enqueue({ id, tenantId: 'bl-stale', tier: 'pro', params, queueLimit: 10 });
    const jobs = await lease('first-worker', 3);
    expect(jobs.map((job) => job.id).sort()).toEqual([...ids].sort());
    const [lapsing, ...held] = jobs;
    for (const job of held) await shardStub(env, shardOfJob(job.id)!).heartbeat(job.id, job.leaseId, 0);
    const staleImage = await upload(lapsing!);
    // The first worker never confirms one job: its lease lapses and another worker takes it over. The others it keeps beating.
    const lapsed = Date.now() + TTL_MS + 50;
    while (Date.now() < lapsed) {
      for (const job of held) expect(await shardStub(env, shardOfJob(job.id)!).heartbeat(job.id, job.leaseId, 0)).toEqual({ keep: true });
      await sleep(TTL_MS / 4);
    }
    await runDurableObjectAlarm(shardStub(env, shardOfJob(lapsing!.id)!));
    const [takenOver] = await lease('second-worker', 1);
    expect(takenOver?.id).toBe(lapsing!.id);

    const batch = [...held.map(async (job) => ({ jobId: job.id, leaseId: job.leaseId, images: [await upload(job)], usage })), Promise.resolve({ jobId: lapsing!.id, leaseId: lapsing!.leaseId, images: [staleImage], usage })];
    const response = await completeBatch(await Promise.all(batch));
    expect(response.status).toBe(200);
    const { results } = (await response.json()) as CompleteBatchResponse;
    expect(results).toEqual([
      ...held.map((job) => ({ jobId: job.id, ok: true })),
      { jobId: lapsing!.id, ok: false, code: 'stale_lease', message: expect.stringContaining(lapsing!.id) },
    ]);
    for (const job of held) expect(await statusOf(job.id, 'bl-stale')).toBe('succeeded');
    expect(await statusOf(lapsing!.id, 'bl-stale')).toBe('running');

    // The worker holding the current lease completes it; completing it again is refused, so nothing completes twice.
    const winner = { jobId: takenOver!.id, leaseId: takenOver!.leaseId, images: [await upload(takenOver!)], usage };
    expect(((await (await completeBatch([winner])).json()) as CompleteBatchResponse).results).toEqual([{ jobId: winner.jobId, ok: true }]);
    expect(((await (await completeBatch([winner])).json()) as CompleteBatchResponse).results[0]).toMatchObject({ ok: false, code: 'stale_lease' });
    const log = await shardStub(env, shardOfJob(winner.jobId)!).events(winner.jobId, 'bl-stale', 0, 0);
    expect(log!.events.filter((event) => event.type === 'completed')).toHaveLength(1);
  });

  it('should answer a job it has never heard of as unknown in its result, not fail the batch', async () => {
    const id = jobIdInShard(2);
    await shardStub(env, 2).enqueue({ id, tenantId: 'bl-unknown', tier: 'pro', params, queueLimit: 10 });
    const [job] = await lease('unknown-worker', 1);
    const response = await completeBatch([
      { jobId: 'job_zz_nope', leaseId: 'l', images: [{ index: 0, key: 'images/t/job_zz_nope/l/0.png', contentType: 'image/png', bytes: 1 }], usage },
      { jobId: job!.id, leaseId: job!.leaseId, images: [await upload(job!)], usage },
    ]);
    expect(((await response.json()) as CompleteBatchResponse).results).toEqual([
      { jobId: 'job_zz_nope', ok: false, code: 'unknown_job', message: expect.any(String) },
      { jobId: job!.id, ok: true },
    ]);
  });

  it('should refuse a malformed batch with a 400 in the OpenAI error shape and complete nothing of it', async () => {
    const id = jobIdInShard(0);
    await shardStub(env, 0).enqueue({ id, tenantId: 'bl-bad', tier: 'pro', params, queueLimit: 10 });
    const [job] = await lease('bad-worker', 1);
    const good = { jobId: job!.id, leaseId: job!.leaseId, images: [await upload(job!)], usage };
    const bad: unknown[] = [
      [],
      'not-a-list',
      [{ ...good, usage: { inputTokens: -1, outputTokens: 0 } }],
      [good, { ...good }],
      [good, { jobId: job!.id.replace(/.$/, 'x'), leaseId: job!.leaseId, images: good.images, usage }],
      Array.from({ length: 65 }, () => good),
    ];
    for (const completions of bad) {
      const response = await completeBatch(completions);
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: Record<string, unknown> };
      expect(body.error).toMatchObject({ message: expect.any(String), type: 'invalid_request_error' });
      expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    }
    expect(await statusOf(job!.id, 'bl-bad')).toBe('running');
    expect(((await (await completeBatch([good])).json()) as CompleteBatchResponse).results).toEqual([{ jobId: job!.id, ok: true }]);
  });
});

describe('heartbeats between checkpoints', () => {
  it('should keep a heartbeating lease alive without writing it, and after the beats stop resume from the last checkpoint', async () => {
    const shard = shardStub(env, 970);
    const id = jobIdInShard(970);
    await shard.enqueue({ id, tenantId: 'bl-hb', tier: 'pro', params, queueLimit: 10 });
    const [job] = await shard.lease('beating', 1);
    expect(await shard.heartbeat(id, job!.leaseId, 0)).toEqual({ keep: true });
    expect(await shard.heartbeat(id, job!.leaseId, 2, checkpoint(2))).toEqual({ keep: true });
    const checkpointed = (await shard.get(id, 'bl-hb'))!;
    expect(checkpointed.passesDone).toBe(2);
    // Beats for three TTLs past the checkpoint, with the alarm run after each: the lease holds, and no beat wrote the row.
    const until = Date.now() + 3 * TTL_MS;
    while (Date.now() < until) {
      expect(await shard.heartbeat(id, job!.leaseId, 2)).toEqual({ keep: true });
      await runDurableObjectAlarm(shard);
      await sleep(TTL_MS / 4);
    }
    expect(await shard.get(id, 'bl-hb')).toMatchObject({ status: 'running', updatedAt: checkpointed.updatedAt });
    // The beats stop: the lease lapses, and the job resumes after its last checkpointed pass.
    await sleep(TTL_MS + 50);
    await runDurableObjectAlarm(shard);
    expect(await shard.get(id, 'bl-hb')).toMatchObject({ status: 'queued', attempt: 1, passesDone: 2 });
    const [resumed] = await shard.lease('rescuer', 1);
    expect(resumed).toMatchObject({ id, attempt: 2, passesDone: 2, checkpoint: checkpoint(2) });
    expect(await shard.heartbeat(id, job!.leaseId, 3)).toEqual({ keep: false });
    expect((await shard.complete(id, resumed!.leaseId, [{ index: 0, key: 'k', contentType: 'image/png', bytes: 1 }], usage)).ok).toBe(true);
  });
});
