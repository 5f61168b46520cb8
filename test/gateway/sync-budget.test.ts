// A `Prefer: wait=N` request's sync budget (issue 16, item 5): min(N s, SYNC_WAIT_MS), and for free
// work under admission FREE_SYNC_MAX_WAIT_MS too. A request whose estimate already exceeds it gets
// its 202 and position at once, paid or free; any other waits at most its budget. The tests run in
// order: the first two rely on the shard having measured no throughput yet (8 s a job assumed).
import { describe, expect, it } from 'vitest';
import { app } from '../../gateway/index.js';
import { shardOfJob, shardStub } from '../../gateway/queue.js';
import type { LeasedJob } from '../../protocol/jobs.js';
import { createTenant, env } from './helpers.js';

const LIFTED = { requestsPerMinute: 10_000, imagesPerMinute: 10_000, concurrentJobs: 10_000 };
const PNG = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The gateway with one queue shard, so every job below lands in shard 0 and queues behind the others. */
function gatewayWith(vars: Record<string, string> = {}) {
  const bindings = { ...env, QUEUE_SHARDS: '1', ...vars };
  return (key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    app.request(
      'http://lumen.test/v1/images/generations',
      { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) },
      bindings,
    );
}

interface JobBody {
  id: string;
  status: string;
  queue_position: number | null;
  estimated_wait_seconds: number;
}

async function complete(job: LeasedJob): Promise<void> {
  const key = `images/${job.tenantId}/${job.id}/${job.leaseId}/0.png`;
  await env.IMAGES.put(key, PNG);
  const check = await shardStub(env, shardOfJob(job.id)!).complete(job.id, job.leaseId, [{ index: 0, key, contentType: 'image/png', bytes: PNG.length }], { inputTokens: 1, outputTokens: 4 });
  expect(check.ok).toBe(true);
}

/** Leases everything queued in shard 0, one job at a time (leases last 300 ms here), and completes it (or fails it, to empty the queue). */
async function settleAll(settle: 'complete' | 'fail'): Promise<number> {
  const shard = shardStub(env, 0);
  let settled = 0;
  for (;;) {
    const jobs = await shard.lease('sync-budget-test', 1);
    if (jobs.length === 0) return settled;
    for (const job of jobs) {
      if (settle === 'complete') await complete(job);
      else await shard.fail(job.id, job.leaseId, { message: 'drained by the test', code: 'drained', clientError: false }, false);
      settled++;
    }
  }
}

describe('a Prefer: wait request', () => {
  it('should get 202, its position and Lumen-Admission: deferred at once when the queue ahead outlasts its wait, though it is paid', async () => {
    const generate = gatewayWith();
    // Its own jobs: another pro tenant's backlog would not be ahead of it (fair share within a tier).
    const key = await createTenant('budgetpaid', 'pro', LIFTED);
    for (let i = 0; i < 3; i++) expect((await generate(key, { prompt: `filler ${i}`, size: '256x256' }, { prefer: 'respond-async' })).status).toBe(202);
    // Three jobs ahead at 8 s each: 32 s against a 20 s budget.
    const response = await generate(key, { prompt: 'a red circle', size: '256x256' }, { prefer: 'wait=20' });
    expect(response.status).toBe(202);
    expect(response.headers.get('lumen-admission')).toBe('deferred');
    const body = (await response.json()) as JobBody;
    expect(response.headers.get('location')).toBe(`/v1/images/jobs/${body.id}`);
    expect(body.status).toBe('queued');
    expect(body.queue_position).toBe(3);
    expect(body.estimated_wait_seconds).toBeGreaterThan(20);
    expect(await settleAll('fail')).toBe(4);
  });

  it('should wait for its image when the queue is short enough for its budget', async () => {
    const generate = gatewayWith();
    const key = await createTenant('budgetshort', 'pro', LIFTED);
    // An empty queue: one job at 8 s, within the same 20 s budget.
    const pending = generate(key, { prompt: 'a blue square', size: '256x256' }, { prefer: 'wait=20' });
    let completed = 0;
    while (completed === 0) {
      completed = await settleAll('complete');
      if (completed === 0) await sleep(20);
    }
    const response = await pending;
    expect(response.status).toBe(200);
    expect(response.headers.get('lumen-admission')).toBe('sync');
    const body = (await response.json()) as { data: { b64_json: string }[] };
    expect(body.data).toHaveLength(1);
    expect(body.data[0]!.b64_json).toBe(btoa(String.fromCharCode(...PNG)));
  });

  it('should never be held past its budget, paid or free: a job nobody runs is answered 202, still queued, with its position', async () => {
    // Twenty quick completions: the shard now measures well under 0.5 s a job, so the estimates below fit the 1 s budgets and the requests wait them out.
    const warm = gatewayWith();
    const warmer = await createTenant('budgetwarm', 'pro', LIFTED);
    for (let i = 0; i < 20; i++) await warm(warmer, { prompt: `warm ${i}`, size: '256x256' }, { prefer: 'respond-async' });
    expect(await settleAll('complete')).toBe(20);

    // Paid: N = 60 s, capped at SYNC_WAIT_MS = 1 s.
    const paid = await createTenant('budgetcap', 'pro', LIFTED);
    const paidAnswer = await gatewayWith({ SYNC_WAIT_MS: '1000' })(paid, { prompt: 'a green triangle', size: '256x256' }, { prefer: 'wait=60' });
    expect(paidAnswer.status).toBe(202);
    expect(paidAnswer.headers.get('lumen-admission')).toBe('sync');
    const paidJob = (await paidAnswer.json()) as JobBody;
    expect(paidJob.status).toBe('queued');
    expect(paidJob.queue_position).toBe(0);

    // Free under admission: N = 60 s and SYNC_WAIT_MS 120 s, but FREE_SYNC_MAX_WAIT_MS = 1 s; it queues behind the paid job.
    const free = await createTenant('budgetfree', 'free', LIFTED);
    const freeAnswer = await gatewayWith({ FREE_SYNC_MAX_WAIT_MS: '1000' })(free, { prompt: 'a yellow star', size: '256x256' }, { prefer: 'wait=60' });
    expect(freeAnswer.status).toBe(202);
    expect(freeAnswer.headers.get('lumen-admission')).toBe('sync');
    const freeJob = (await freeAnswer.json()) as JobBody;
    expect(freeJob.status).toBe('queued');
    expect(freeJob.queue_position).toBe(1);
    expect(await settleAll('fail')).toBe(2);
  });

  it('should get its 202 at once under a budget of 0, with the estimate it would have waited', async () => {
    const generate = gatewayWith();
    const key = await createTenant('budgetzero', 'enterprise', LIFTED);
    const response = await generate(key, { prompt: 'a purple moon', size: '256x256' }, { prefer: 'wait=0' });
    expect(response.status).toBe(202);
    expect(response.headers.get('lumen-admission')).toBe('deferred');
    const body = (await response.json()) as JobBody;
    expect(body.status).toBe('queued');
    expect(body.estimated_wait_seconds).toBeGreaterThan(0);
    expect(await settleAll('fail')).toBe(1);
  });
});
