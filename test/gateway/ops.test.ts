import { afterAll, describe, expect, it } from 'vitest';
import type { LeaseResponse } from '../../protocol/jobs.js';
import { shardStub } from '../../gateway/queue.js';
import type { CapacityAnswer, WorkerView } from '../../gateway/fleet.js';
import type { SurgeStatus } from '../../gateway/objects/tier-config.js';
import { ADMIN_SECRET, call, createTenant, env, internal } from './helpers.js';
import { parsePrometheusText, total } from '../support/prometheus-text.js';

const admin = { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' };
const params = { prompt: 'a red circle', n: 1, width: 256, height: 256, quality: 'auto', outputFormat: 'png', outputCompression: 100, seed: 7, partialImages: 0 } as const;
const SHARDS = Number(env.QUEUE_SHARDS ?? '4');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const usage = { inputTokens: 1, outputTokens: 1 };

async function adminJson<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await call(path, { method, headers: admin, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function scrape() {
  const response = await call('/v1/admin/metrics', { headers: admin });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await response.text());
}

/** Polls `read` until `done` holds, at most `tries` times: no timed assertion, only a bound. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, tries = 200, everyMs = 50): Promise<T> {
  let value = await read();
  for (let i = 0; i < tries && !done(value); i++) {
    await sleep(everyMs);
    value = await read();
  }
  return value;
}

/** Queues `count` jobs of `tier` straight into the shards, round robin. */
async function enqueueJobs(prefix: string, tier: 'free' | 'pro', count: number): Promise<{ id: string; shard: number }[]> {
  const jobs = [];
  for (let i = 0; i < count; i++) {
    const shard = i % SHARDS;
    const id = `job_${shard.toString(36)}_${(prefix + i.toString(16)).padEnd(32, '0').slice(0, 32)}`;
    await shardStub(env, shard).enqueue({ id, tenantId: `t${prefix}`, tier, params, queueLimit: 10_000 });
    jobs.push({ id, shard });
  }
  return jobs;
}

/** Completes leased jobs, as their worker would. */
async function completeLeased(leased: LeaseResponse['jobs']): Promise<void> {
  for (const job of leased) {
    const stub = shardStub(env, Number.parseInt(job.id.split('_')[1]!, 36));
    await stub.complete(job.id, job.leaseId, [{ index: 0, key: `images/t/${job.id}/${job.leaseId}/0.png`, contentType: 'image/png', bytes: 1 }], usage);
  }
}

/** Leases every queued job of every shard and completes it, as a worker would. */
async function drainQueues(workerId: string): Promise<number> {
  let done = 0;
  for (let shard = 0; shard < SHARDS; shard++) {
    const stub = shardStub(env, shard);
    for (;;) {
      const leased = await stub.lease(workerId, 16);
      if (leased.length === 0) break;
      for (const job of leased) {
        await stub.heartbeat(job.id, job.leaseId, 0);
        const check = await stub.complete(job.id, job.leaseId, [{ index: 0, key: `images/t/${job.id}/${job.leaseId}/0.png`, contentType: 'image/png', bytes: 1 }], usage);
        if (check.ok) done++;
      }
    }
  }
  return done;
}

describe('GET /v1/admin/metrics', () => {
  it('should be admin-only', async () => {
    expect((await call('/v1/admin/metrics')).status).toBe(401);
  });

  it('should parse as Prometheus text and move with real traffic: admissions, 429s, leases, latency, fencing, signups', async () => {
    const before = await scrape();
    const pro = await createTenant('opsmetpro', 'pro');
    const limited = await createTenant('opsmetlim', 'free', { requestsPerMinute: 1 });
    const submit = (key: string) =>
      call('/v1/images/generations', {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', prefer: 'respond-async' },
        body: JSON.stringify({ prompt: 'a quiet lake', size: '256x256' }),
      });
    expect((await submit(pro)).status).toBe(202);
    expect((await submit(pro)).status).toBe(202);
    expect((await submit(limited)).status).toBe(202);
    expect((await submit(limited)).status).toBe(429);
    const signup = await call('/v1/signup', { method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.77' }, body: '{}' });
    expect(signup.status).toBe(201);

    // A worker leases the jobs, one heartbeat comes from a lease that is no longer current (fenced), and it completes them.
    const leased: LeaseResponse['jobs'] = [];
    for (let i = 0; i < 10 && leased.length < 3; i++) {
      const response = await internal('POST', '/internal/lease', { workerId: 'ops-metrics-worker', slots: 8, waitMs: 0 });
      leased.push(...((await response.json()) as LeaseResponse).jobs);
    }
    expect(leased.length).toBeGreaterThanOrEqual(3);
    const stale = await internal('POST', `/internal/jobs/${leased[0]!.id}/heartbeat`, { leaseId: 'not-the-lease', passesDone: 0 });
    expect(((await stale.json()) as { keep: boolean }).keep).toBe(false);

    const after = await scrape();
    const moved = (name: string, labels: Record<string, string> = {}, sample = name) => total(after, name, labels, sample) - (before.has(name) ? total(before, name, labels, sample) : 0);
    expect(moved('lumen_admissions_total', { tier: 'pro', mode: 'async' })).toBe(2);
    expect(moved('lumen_admissions_total', { tier: 'free', mode: 'async' })).toBe(1);
    expect(moved('lumen_rate_limited_total', { tier: 'free', limit: 'requests' })).toBe(1);
    expect(moved('lumen_leases_total', { tier: 'pro' })).toBeGreaterThanOrEqual(2);
    expect(moved('lumen_lease_latency_seconds', { tier: 'pro' }, 'lumen_lease_latency_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(moved('lumen_lease_fenced_total')).toBe(1);
    expect(moved('lumen_signups_accepted_total')).toBe(1);
    expect(total(after, 'lumen_shard_up')).toBe(SHARDS);
    expect(after.get('lumen_queue_depth')?.type).toBe('gauge');
    expect(after.get('lumen_webhook_deliveries_total')?.type).toBe('counter');
    // No tenant or job id ever becomes a label.
    for (const family of after.values()) for (const series of family.series) for (const value of Object.values(series.labels)) expect(value).not.toMatch(/^job_|opsmet/);
    await completeLeased(leased);
    await drainQueues('ops-metrics-worker');
  });
});

describe('the surge controller', () => {
  afterAll(async () => {
    await adminJson('PUT', '/v1/admin/surge/controller', { freeBacklog: 2_000, paidWaitMs: 30_000, calmMs: 120_000, pollMs: 5_000, releaseRatio: 0.5 });
    await adminJson('POST', '/v1/admin/surge', { mode: 'auto' });
  });

  it('should engage when the free backlog passes its threshold, hold while it stays, and release after a calm period, recording why', async () => {
    await drainQueues('surge-cleanup');
    await adminJson('PUT', '/v1/admin/surge/controller', { freeBacklog: 6, paidWaitMs: 3_600_000, calmMs: 300, pollMs: 50, releaseRatio: 0.5 });
    await adminJson('POST', '/v1/admin/surge', { mode: 'auto' });
    const status = () => adminJson<SurgeStatus>('GET', '/v1/admin/surge');
    expect((await status()).surge).toBe(false);

    await enqueueJobs('5a', 'free', 8);
    const engaged = await until(status, (s) => s.surge);
    expect(engaged.surge).toBe(true);
    expect(engaged.history[0]).toMatchObject({ surge: true, mode: 'auto', cause: 'controller', metric: 'free_backlog', threshold: 6 });
    expect(engaged.history[0]!.value).toBeGreaterThanOrEqual(6);
    // The surge profile applies to the free tier while engaged.
    const free = await adminJson<{ surge: boolean; limits: { maxN: number } }>('GET', '/v1/admin/tiers/free');
    expect(free.surge).toBe(true);

    expect(await drainQueues('surge-worker')).toBe(8);
    const released = await until(status, (s) => !s.surge);
    expect(released.surge).toBe(false);
    expect(released.history[0]).toMatchObject({ surge: false, mode: 'auto', cause: 'controller', metric: 'calm_ms', threshold: 300 });
    expect(released.history[0]!.value).toBeGreaterThanOrEqual(300);
    // One engagement and one release: no flapping in between.
    const changes = released.history.filter((change) => change.cause === 'controller').slice(0, 2).map((change) => change.surge);
    expect(changes).toEqual([false, true]);
  });

  it('should engage on a paid job waiting past the paid threshold', async () => {
    await drainQueues('surge-cleanup');
    await adminJson('PUT', '/v1/admin/surge/controller', { freeBacklog: 1_000, paidWaitMs: 200, calmMs: 200, pollMs: 50 });
    await adminJson('POST', '/v1/admin/surge', { mode: 'auto' });
    await enqueueJobs('5b', 'pro', 1);
    const engaged = await until(() => adminJson<SurgeStatus>('GET', '/v1/admin/surge'), (s) => s.surge);
    expect(engaged.history[0]).toMatchObject({ surge: true, cause: 'controller', metric: 'paid_wait_ms', threshold: 200 });
    await drainQueues('surge-worker');
    expect((await until(() => adminJson<SurgeStatus>('GET', '/v1/admin/surge'), (s) => !s.surge)).surge).toBe(false);
  });

  it('should obey an admin pin over the load, and go back to the controller when unpinned', async () => {
    await drainQueues('surge-cleanup');
    await adminJson('PUT', '/v1/admin/surge/controller', { freeBacklog: 3, paidWaitMs: 3_600_000, calmMs: 200, pollMs: 50 });
    const pinned = await adminJson<{ surge: boolean; surgeMode: string }>('POST', '/v1/admin/surge', { mode: 'off' });
    expect(pinned).toMatchObject({ surge: false, surgeMode: 'off' });
    await enqueueJobs('5c', 'free', 4);
    // Pinned off: the controller leaves it alone however long the backlog stays (its last reading proves it looked).
    const status = await adminJson<SurgeStatus>('GET', '/v1/admin/surge');
    expect(status).toMatchObject({ surge: false, mode: 'off' });
    expect(status.history[0]).toMatchObject({ cause: 'admin', mode: 'off' });
    expect((await adminJson<{ surge: boolean }>('POST', '/v1/admin/surge', { enabled: true })).surge).toBe(true);
    await adminJson('POST', '/v1/admin/surge', { mode: 'auto' });
    const auto = await until(() => adminJson<SurgeStatus>('GET', '/v1/admin/surge'), (s) => s.surge && s.history[0]?.cause === 'controller');
    expect(auto.history[0]).toMatchObject({ cause: 'controller', metric: 'free_backlog' });
    await drainQueues('surge-worker');
    expect((await until(() => adminJson<SurgeStatus>('GET', '/v1/admin/surge'), (s) => !s.surge)).surge).toBe(false);
  });

  it('should refuse a bad mode or setting with a 400 in the OpenAI shape', async () => {
    const bad = await call('/v1/admin/surge', { method: 'POST', headers: admin, body: JSON.stringify({ mode: 'sometimes' }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    expect((await call('/v1/admin/surge/controller', { method: 'PUT', headers: admin, body: JSON.stringify({ calmMs: -1 }) })).status).toBe(400);
  });
});

describe('capacity and workers', () => {
  const capacity = () => adminJson<CapacityAnswer>('GET', '/v1/admin/capacity');

  it('should ask for more workers as the backlog grows and fewer once it drains', async () => {
    await drainQueues('cap-cleanup');
    const idle = await capacity();
    expect(idle.queuedJobs).toBe(0);
    await enqueueJobs('6a', 'pro', 24);
    const busy = await capacity();
    expect(busy.queuedJobs).toBe(24);
    expect(busy.tiers.pro.queued).toBe(24);
    expect(busy.desiredWorkers).toBeGreaterThan(idle.desiredWorkers);
    expect(busy.desiredWorkers).toBe(Math.min(busy.maxWorkers, Math.max(busy.minWorkers, Math.ceil(busy.desiredSlots / busy.slotsPerWorker))));
    expect(await drainQueues('cap-worker')).toBe(24);
    const drained = await capacity();
    expect(drained.queuedJobs).toBe(0);
    expect(drained.desiredWorkers).toBeLessThan(busy.desiredWorkers);
  });

  it('should list workers that lease, drain one so that its lease calls get nothing and say so, and serve its next process', async () => {
    await internal('POST', '/internal/lease', { workerId: 'ops-drain-w', slots: 2, capacity: 2, waitMs: 0, session: 'sess-1' });
    const listed = await adminJson<{ data: WorkerView[] }>('GET', '/v1/admin/workers');
    expect(listed.data.find((worker) => worker.id === 'ops-drain-w')).toMatchObject({ slots: 2, draining: false });

    const [job] = await enqueueJobs('6b', 'pro', 1);
    const drained = await adminJson<WorkerView>('POST', '/v1/admin/workers/ops-drain-w/drain');
    expect(drained).toMatchObject({ id: 'ops-drain-w', draining: true });
    const refused = (await (await internal('POST', '/internal/lease', { workerId: 'ops-drain-w', slots: 2, capacity: 2, waitMs: 0, session: 'sess-1' })).json()) as LeaseResponse;
    expect(refused).toEqual({ jobs: [], drain: true });
    expect((await adminJson<{ data: WorkerView[] }>('GET', '/v1/admin/workers')).data.find((worker) => worker.id === 'ops-drain-w')?.draining).toBe(true);

    // The same id restarted is a new session: served, and no longer draining.
    const fresh = (await (await internal('POST', '/internal/lease', { workerId: 'ops-drain-w', slots: 2, capacity: 2, waitMs: 0, session: 'sess-2' })).json()) as LeaseResponse;
    expect(fresh.drain).toBeUndefined();
    expect(fresh.jobs.map((leased) => leased.id)).toContain(job!.id);
    const heldBy = (await adminJson<{ data: WorkerView[] }>('GET', '/v1/admin/workers')).data.find((worker) => worker.id === 'ops-drain-w');
    expect(heldBy).toMatchObject({ draining: false, jobsHeld: 1 });
    await completeLeased(fresh.jobs);
    await drainQueues('cap-cleanup');
  });

  it('should answer 404 for draining a worker never seen', async () => {
    const response = await call('/v1/admin/workers/nobody-here/drain', { method: 'POST', headers: admin });
    expect(response.status).toBe(404);
  });

  it('should forget a worker once it stops calling', async () => {
    await internal('POST', '/internal/lease', { workerId: 'ops-gone-w', slots: 1, waitMs: 0, session: 'sess-gone' });
    expect((await adminJson<{ data: WorkerView[] }>('GET', '/v1/admin/workers')).data.some((worker) => worker.id === 'ops-gone-w')).toBe(true);
    const gone = await until(
      () => adminJson<{ data: WorkerView[] }>('GET', '/v1/admin/workers'),
      (list) => !list.data.some((worker) => worker.id === 'ops-gone-w'),
      100,
      100,
    );
    expect(gone.data.some((worker) => worker.id === 'ops-gone-w')).toBe(false);
  });
});
