import { runDurableObjectAlarm } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { LeaseResponse } from '../../protocol/jobs.js';
import { jobIdInShard, shardOfJob, shardStub } from '../../gateway/queue.js';
import type { JobEvent } from '../../gateway/objects/queue-shard.js';
import { ADMIN_SECRET, call, createTenant, env, internal } from './helpers.js';

const admin = { authorization: `Bearer ${ADMIN_SECRET}` };
const TTL_MS = Number(env.LEASE_TTL_MS ?? 10_000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const checkpoint = (passesDone: number) => ({ passesDone, grids: [{ rows: 2, cols: 2, codebookSize: 256, tokensBase64: 'AAAAAAAAAAAAAAAAAAAAAA==' }] });
const usage = { inputTokens: 1, outputTokens: 1 };
const WEBHOOK = 'http://127.0.0.1:9/lumen-hook';

interface InspectedJob {
  object: string;
  id: string;
  tenantId: string;
  status: string;
  attempt: number;
  passesDone: number;
  leaseWorker: string | null;
  webhookUrl: string | null;
  events?: JobEvent[];
  webhooks?: { id: string; url: string; status: string; attempts: number }[];
}

async function submit(key: string, extra: Record<string, unknown> = {}): Promise<string> {
  const response = await call('/v1/images/generations', {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', prefer: 'respond-async' },
    body: JSON.stringify({ prompt: 'a lighthouse at dusk', size: '256x256', ...extra }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

async function adminGet<T>(path: string): Promise<T> {
  const response = await call(path, { headers: admin });
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Leases until `id` comes out (other tests' jobs may be queued too), completing nothing else. */
async function leaseJob(workerId: string, id: string): Promise<LeaseResponse['jobs'][number]> {
  for (let i = 0; i < 50; i++) {
    const leased = ((await (await internal('POST', '/internal/lease', { workerId, slots: 8, waitMs: 0 })).json()) as LeaseResponse).jobs;
    const mine = leased.find((job) => job.id === id);
    if (mine) return mine;
  }
  throw new Error(`job ${id} was never leased`);
}

describe('the job inspector API', () => {
  it('should be admin-only', async () => {
    expect((await call('/v1/admin/jobs')).status).toBe(401);
    expect((await call('/v1/admin/jobs/job_0_00000000000000000000000000000000')).status).toBe(401);
  });

  it('should refuse a bad filter with a 400 in the OpenAI shape', async () => {
    for (const query of ['status=lost', 'tenant=Not-A-Tenant', 'limit=0', 'limit=many', 'colour=red']) {
      const response = await call(`/v1/admin/jobs?${query}`, { headers: admin });
      expect(response.status, query).toBe(400);
      const body = (await response.json()) as { error: { type: string; message: string } };
      expect(body.error.type).toBe('invalid_request_error');
    }
  });

  it('should answer 404 for a job that does not exist or an id that is not one of ours', async () => {
    expect((await call('/v1/admin/jobs/job_0_0123456789abcdef0123456789abcdef', { headers: admin })).status).toBe(404);
    expect((await call('/v1/admin/jobs/not-a-job', { headers: admin })).status).toBe(404);
    expect(await adminGet('/v1/admin/jobs?id=not-a-job')).toEqual({ object: 'list', data: [] });
  });

  it('should find jobs by tenant, status and id across the shards, newest first', async () => {
    const key = await createTenant('inspectlist', 'pro', { concurrentJobs: 20 });
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push(await submit(key));
    // Six jobs at random over the shards: the search has to ask every one.
    const { data } = await adminGet<{ data: InspectedJob[] }>('/v1/admin/jobs?tenant=inspectlist');
    expect(data.map((job) => job.id).sort()).toEqual([...ids].sort());
    expect(data.every((job) => job.tenantId === 'inspectlist' && job.status === 'queued' && job.events === undefined)).toBe(true);
    const created = data.map((job) => (job as unknown as { createdAt: number }).createdAt);
    expect(created).toEqual([...created].sort((a, b) => b - a));

    expect((await adminGet<{ data: InspectedJob[] }>('/v1/admin/jobs?tenant=inspectlist&limit=2')).data).toHaveLength(2);
    expect((await adminGet<{ data: InspectedJob[] }>('/v1/admin/jobs?tenant=inspectlist&status=succeeded')).data).toEqual([]);
    const byId = await adminGet<{ data: InspectedJob[] }>(`/v1/admin/jobs?id=${ids[3]}`);
    expect(byId.data.map((job) => job.id)).toEqual([ids[3]]);
  });

  it("should show a resumed job's whole history: admission, each lease with its worker and attempt, progress, the requeue, the ending, its webhook", async () => {
    const key = await createTenant('inspectres', 'pro');
    // Queued on the shard itself: the request route refuses a loopback webhook_url, which keeps the test off the network
    // (the outbox refuses it too, at delivery, and records the failure).
    const id = jobIdInShard(1);
    const params = { prompt: 'a lighthouse at dusk', n: 1, width: 256, height: 256, quality: 'auto', outputFormat: 'png', outputCompression: 100, seed: 3, partialImages: 0 } as const;
    await shardStub(env, 1).enqueue({ id, tenantId: 'inspectres', tier: 'pro', params, queueLimit: 10_000, webhookUrl: WEBHOOK });

    const first = await leaseJob('origin-a', id);
    expect((await internal('POST', `/internal/jobs/${id}/heartbeat`, { leaseId: first.leaseId, passesDone: 1, checkpoint: checkpoint(1) })).status).toBe(200);
    expect((await internal('POST', `/internal/jobs/${id}/heartbeat`, { leaseId: first.leaseId, passesDone: 2, checkpoint: checkpoint(2) })).status).toBe(200);
    const running = await adminGet<InspectedJob>(`/v1/admin/jobs/${id}`);
    expect(running).toMatchObject({ status: 'running', leaseWorker: 'origin-a', passesDone: 2, webhookUrl: WEBHOOK });

    // origin-a dies: its lease lapses, the alarm requeues the job, origin-b resumes it after pass 2.
    const shard = shardStub(env, shardOfJob(id)!);
    await sleep(TTL_MS + 50);
    await runDurableObjectAlarm(shard);
    const second = await leaseJob('origin-b', id);
    expect(second.passesDone).toBe(2);
    const stored = { index: 0, key: `images/inspectres/${id}/${second.leaseId}/0.png`, contentType: 'image/png', bytes: 1 };
    expect((await shard.complete(id, second.leaseId, [stored], usage)).ok).toBe(true);

    const done = await adminGet<InspectedJob>(`/v1/admin/jobs/${id}`);
    expect(done).toMatchObject({ object: 'admin.job', status: 'succeeded', attempt: 2, leaseWorker: null });
    const events = done.events!;
    expect(events.map((event) => event.type)).toEqual(['queued', 'leased', 'progress', 'progress', 'requeued', 'leased', 'completed']);
    expect(events[1]!.data).toMatchObject({ attempt: 1, resumeAfterPass: 0, worker: 'origin-a' });
    expect(events.slice(2, 4).map((event) => event.data.passesDone)).toEqual([1, 2]);
    expect(events[4]!.data).toMatchObject({ reason: 'lease expired', attempt: 1, resumeAfterPass: 2, attemptSpent: true });
    expect(events[5]!.data).toMatchObject({ attempt: 2, resumeAfterPass: 2, worker: 'origin-b' });
    expect(events.every((event, index) => index === 0 || event.createdAt >= events[index - 1]!.createdAt)).toBe(true);
    expect(done.webhooks).toHaveLength(1);
    expect(done.webhooks![0]).toMatchObject({ url: WEBHOOK });

    // The tenant's own event stream does not name the workers.
    const stream = await call(`/v1/images/jobs/${id}/events`, { headers: { authorization: `Bearer ${key}` } });
    const text = await stream.text();
    expect(text).toContain('event: leased');
    expect(text).not.toContain('origin-a');
    expect(text).not.toContain('origin-b');
  });
});
