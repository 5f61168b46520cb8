import { runDurableObjectAlarm } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { LeaseResponse } from '../../protocol/jobs.js';
import { signInternalRequest } from '../../protocol/signature.js';
import { jobIdInShard, shardOfJob, shardStub } from '../../gateway/queue.js';
import { call, createTenant, env, internal, ORIGIN_SECRET } from './helpers.js';

const params = { prompt: 'a red circle', n: 1, width: 256, height: 256, quality: 'auto', outputFormat: 'png', outputCompression: 100, seed: 7, partialImages: 3 } as const;
const TTL_MS = Number(env.LEASE_TTL_MS ?? 10_000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const checkpoint = (passesDone: number) => ({ passesDone, grids: [{ rows: 2, cols: 2, codebookSize: 256, tokensBase64: 'AAAAAAAAAAAAAAAAAAAAAA==' }] });

/** Lets every lease of `shard` lapse and runs its alarm (it may have fired on its own already; a second run is harmless). */
async function expireLeases(shard: DurableObjectStub): Promise<void> {
  await sleep(TTL_MS + 50);
  await runDurableObjectAlarm(shard);
}

async function signedPut(path: string, bytes: Uint8Array): Promise<Response> {
  const headers = await signInternalRequest(ORIGIN_SECRET, 'PUT', path, bytes);
  return call(path, { method: 'PUT', body: bytes, headers: { ...headers, 'content-type': 'application/octet-stream' } });
}

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** The SSE events of `response`, as they arrive. */
async function* sseEvents(response: Response): AsyncGenerator<SseEvent> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) yield { event, data: JSON.parse(data) as Record<string, unknown> };
    }
  }
}

describe('partial images across attempts', () => {
  it('should record each (image, partial index) of a job once, even when a resumed attempt sends it again', async () => {
    const shard = shardStub(env, 960);
    await shard.enqueue({ id: 'job_pv_1', tenantId: 't', tier: 'pro', params, queueLimit: 10 });
    const [first] = await shard.lease('w1', 1);
    await shard.heartbeat('job_pv_1', first!.leaseId, 0);
    expect((await shard.recordPreview('job_pv_1', first!.leaseId, { key: 'a', pass: 1, imageIndex: 0, partialImageIndex: 0 })).ok).toBe(true);
    await expireLeases(shard);
    const [second] = await shard.lease('w2', 1);
    // The resumed attempt re-renders pass 1 (its checkpoint was lost) and sends its preview again: answered OK, not recorded twice.
    expect((await shard.recordPreview('job_pv_1', second!.leaseId, { key: 'b', pass: 1, imageIndex: 0, partialImageIndex: 0 })).ok).toBe(true);
    expect((await shard.recordPreview('job_pv_1', second!.leaseId, { key: 'c', pass: 2, imageIndex: 0, partialImageIndex: 1 })).ok).toBe(true);
    // Another image's index 0 is its own partial.
    expect((await shard.recordPreview('job_pv_1', second!.leaseId, { key: 'd', pass: 1, imageIndex: 1, partialImageIndex: 0 })).ok).toBe(true);
    const log = await shard.events('job_pv_1', 't', 0, 0);
    const partials = log!.events.filter((event) => event.type === 'partial_image').map((event) => `${event.data.imageIndex}:${event.data.partialImageIndex}:${event.data.key}`);
    expect(partials).toEqual(['0:0:a', '0:1:c', '1:0:d']);
    // A stale lease still cannot record anything.
    expect(await shard.recordPreview('job_pv_1', first!.leaseId, { key: 'e', pass: 3, imageIndex: 0, partialImageIndex: 2 })).toEqual({ ok: false, reason: 'stale_lease' });
  });

  it('should keep an interrupted stream open: a requeued event, then the resumed partials with no index repeated, then completed', async () => {
    const key = await createTenant('streamresume', 'pro');
    const response = await call('/v1/images/generations', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a blue square', size: '256x256', stream: true, partial_images: 3 }),
    });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const id = response.headers.get('lumen-job-id')!;
    const shard = shardStub(env, shardOfJob(id)!);
    const events = sseEvents(response);
    const next = async () => (await events.next()).value as SseEvent;
    const preview = new Uint8Array([82, 73, 70, 70]);
    const uploadPreview = (leaseId: string, pass: number, partial: number) =>
      signedPut(`/internal/jobs/${id}/previews/${pass}?lease=${leaseId}&image=0&partial=${partial}`, preview);

    const [first] = (await (await internal('POST', '/internal/lease', { workerId: 'doomed', slots: 1, waitMs: 0 })).json() as LeaseResponse).jobs;
    expect(first?.id).toBe(id);
    expect((await uploadPreview(first!.leaseId, 1, 0)).status).toBe(200);
    expect((await next()).data).toMatchObject({ type: 'image_generation.partial_image', partial_image_index: 0 });
    expect((await internal('POST', `/internal/jobs/${id}/heartbeat`, { leaseId: first!.leaseId, passesDone: 1, checkpoint: checkpoint(1) })).status).toBe(200);
    // Pass 2's preview goes out, then the worker dies before checkpointing pass 2.
    expect((await uploadPreview(first!.leaseId, 2, 1)).status).toBe(200);
    expect((await next()).data).toMatchObject({ partial_image_index: 1 });
    await expireLeases(shard);

    const requeued = await next();
    expect(requeued.event).toBe('image_generation.requeued');
    expect(requeued.data).toMatchObject({ type: 'image_generation.requeued', job_id: id, attempt: 1, resume_from_pass: 1, attempt_spent: true });
    expect(requeued.data.reason).toEqual(expect.any(String));

    const [second] = (await (await internal('POST', '/internal/lease', { workerId: 'rescuer', slots: 1, waitMs: 0 })).json() as LeaseResponse).jobs;
    expect(second).toMatchObject({ id, attempt: 2, passesDone: 1 });
    // The resumed attempt renders pass 2 again and sends its preview again; the client has it already.
    expect((await uploadPreview(second!.leaseId, 2, 1)).status).toBe(200);
    expect((await uploadPreview(second!.leaseId, 3, 2)).status).toBe(200);
    const image = await signedPut(`/internal/jobs/${id}/images/0?lease=${second!.leaseId}&format=png`, new Uint8Array([137, 80, 78, 71]));
    const stored = await image.json();
    const usage = { inputTokens: 1, outputTokens: 4 };
    expect((await internal('POST', `/internal/jobs/${id}/complete`, { leaseId: second!.leaseId, images: [stored], usage })).status).toBe(200);

    const rest: SseEvent[] = [];
    for await (const event of events) rest.push(event);
    expect(rest.map((event) => event.event)).toEqual(['image_generation.partial_image', 'image_generation.completed']);
    expect(rest[0]!.data.partial_image_index).toBe(2);

    // The job's own event log (GET /jobs/:id/events) tells the same story.
    const log = await (await call(`/v1/images/jobs/${id}/events`, { headers: { authorization: `Bearer ${key}` } })).text();
    expect(log.match(/event: partial_image/g)).toHaveLength(3);
    expect(log.match(/event: requeued/g)).toHaveLength(1);
  });
});

describe('leases that never reach their worker', () => {
  it('should return a lease that expired without a single heartbeat without spending an attempt, at most 3 times', async () => {
    const shard = shardStub(env, 961);
    await shard.enqueue({ id: 'job_nohb_1', tenantId: 't', tier: 'pro', params, queueLimit: 10 });
    for (let round = 1; round <= 3; round++) {
      const [lease] = await shard.lease('vanished', 1);
      expect(lease?.attempt).toBe(1);
      await expireLeases(shard);
      expect(await shard.get('job_nohb_1', 't')).toMatchObject({ status: 'queued', attempt: 0 });
    }
    // A job that keeps losing its workers before they confirm it (a poison job crashing them at once) is not returned free forever.
    const [fourth] = await shard.lease('vanished', 1);
    expect(fourth?.attempt).toBe(1);
    await expireLeases(shard);
    expect(await shard.get('job_nohb_1', 't')).toMatchObject({ status: 'queued', attempt: 1 });
    const log = await shard.events('job_nohb_1', 't', 0, 0);
    expect(log!.events.filter((event) => event.type === 'requeued').map((event) => event.data.attemptSpent)).toEqual([false, false, false, true]);
  });

  it('should spend the attempt of a lease that heartbeated before it expired', async () => {
    const shard = shardStub(env, 962);
    await shard.enqueue({ id: 'job_hb_1', tenantId: 't', tier: 'pro', params, queueLimit: 10 });
    const [lease] = await shard.lease('crashed', 1);
    expect(await shard.heartbeat('job_hb_1', lease!.leaseId, 0)).toEqual({ keep: true });
    await expireLeases(shard);
    expect(await shard.get('job_hb_1', 't')).toMatchObject({ status: 'queued', attempt: 1 });
    const [again] = await shard.lease('next', 1);
    expect(again?.attempt).toBe(2);
  });

  it('should find a worker that stopped heartbeating dead within the lease TTL', async () => {
    const shard = shardStub(env, 963);
    await shard.enqueue({ id: 'job_ttl_1', tenantId: 't', tier: 'pro', params, queueLimit: 10 });
    const [lease] = await shard.lease('dies', 1);
    await shard.heartbeat('job_ttl_1', lease!.leaseId, 1, checkpoint(1));
    const died = Date.now();
    // No manual alarm: the shard's own alarm must requeue it.
    for (;;) {
      if ((await shard.get('job_ttl_1', 't'))?.status === 'queued') break;
      expect(Date.now() - died).toBeLessThan(TTL_MS + 1_000);
      await sleep(25);
    }
  });

  it('should put back at once, without spending an attempt, a job leased to a call whose connection had closed', async () => {
    const shard = shardStub(env, 964);
    await shard.enqueue({ id: 'job_undelivered', tenantId: 't', tier: 'pro', params, queueLimit: 10 });
    const [lease] = await shard.lease('gone', 1);
    await shard.returnUndelivered('job_undelivered', lease!.leaseId);
    expect(await shard.get('job_undelivered', 't')).toMatchObject({ status: 'queued', attempt: 0 });
    // Only the holder of the current lease can give it back.
    const [next] = await shard.lease('present', 1);
    await shard.returnUndelivered('job_undelivered', lease!.leaseId);
    expect(await shard.get('job_undelivered', 't')).toMatchObject({ status: 'running', attempt: 1 });
    expect(await shard.heartbeat('job_undelivered', next!.leaseId, 0)).toEqual({ keep: true });
  });

  it('should hand nothing to the lease calls of a worker that said it is leaving, not even one still open', async () => {
    const poll = internal('POST', '/internal/lease', { workerId: 'leaving', slots: 1, waitMs: 1_500, session: 'session-leaving' });
    await sleep(200);
    expect((await internal('POST', '/internal/depart', { session: 'session-leaving' })).status).toBe(200);
    const id = `job_0_${'d'.repeat(32)}`;
    await shardStub(env, 0).enqueue({ id, tenantId: 't', tier: 'pro', params, queueLimit: 10 });
    expect(((await (await poll).json()) as LeaseResponse).jobs).toEqual([]);
    expect(await shardStub(env, 0).get(id, 't')).toMatchObject({ status: 'queued', attempt: 0 });
    // The same worker id in a new process (a new session) is served.
    const { jobs } = (await (await internal('POST', '/internal/lease', { workerId: 'leaving', slots: 1, waitMs: 0, session: 'session-restarted' })).json()) as LeaseResponse;
    expect(jobs.map((job) => job.id)).toEqual([id]);
    const error = { message: 'done with it', code: 'test', clientError: false };
    await internal('POST', `/internal/jobs/${id}/fail`, { leaseId: jobs[0]!.leaseId, retryable: false, error });
  });

  it('should not hand a job to a lease long-poll whose worker has hung up', async () => {
    // workerd learns that a client hung up only through the response stream it is writing. (An abort
    // before any response, as these in-process calls allow, cancels the handler outright; behind
    // wrangler's proxy or the edge it does not.) So the worker here hangs up as it does there: it drops
    // the answer, which a waiting call must have started at once.
    const bytes = new TextEncoder().encode(JSON.stringify({ workerId: 'departed', slots: 1, waitMs: 5_000 }));
    const headers = await signInternalRequest(ORIGIN_SECRET, 'POST', '/internal/lease', bytes);
    const poll = call('/internal/lease', { method: 'POST', body: bytes, headers: { ...headers, 'content-type': 'application/json' } });
    const answer = await Promise.race([poll, sleep(1_000).then(() => null)]);
    expect(answer?.status).toBe(200);
    await answer!.body!.cancel();
    await sleep(600);

    const key = await createTenant('afterhangup', 'pro');
    const created = await call('/v1/images/generations', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', prefer: 'respond-async' },
      body: JSON.stringify({ prompt: 'a green square', size: '256x256' }),
    });
    const { id } = (await created.json()) as { id: string };
    await sleep(300);
    const job = (await (await call(`/v1/images/jobs/${id}`, { headers: { authorization: `Bearer ${key}` } })).json()) as { status: string; attempt: number };
    expect(job).toMatchObject({ status: 'queued', attempt: 0 });
    // A worker that is still there gets it.
    const { jobs } = (await (await internal('POST', '/internal/lease', { workerId: 'present', slots: 1, waitMs: 0 })).json()) as LeaseResponse;
    expect(jobs.map((leased) => leased.id)).toEqual([id]);
    // Ended, so its lease cannot lapse and requeue it under a later test.
    await internal('POST', `/internal/jobs/${id}/fail`, { leaseId: jobs[0]!.leaseId, retryable: false, error: { message: 'done with it', code: 'test', clientError: false } });
  });
});

describe('the lease sweep across shards', () => {
  /** Leases and fails every queued job, so the test starts from empty queues. */
  async function drainAll(): Promise<void> {
    for (;;) {
      const { jobs } = (await (await internal('POST', '/internal/lease', { workerId: 'sweep-drain', slots: 64, waitMs: 0 })).json()) as LeaseResponse;
      if (jobs.length === 0) return;
      for (const job of jobs) {
        await internal('POST', `/internal/jobs/${job.id}/fail`, { leaseId: job.leaseId, retryable: false, error: { message: 'drained', code: 'drained', clientError: false } });
      }
    }
  }

  it('should lease a light tenant\'s job before a flood queued in every shard, whichever shard it is in', async () => {
    const shards = Number(env.QUEUE_SHARDS);
    // Leases earlier tests left unfinished lapse and come back: let them, and drain them too.
    await drainAll();
    await sleep(TTL_MS + 100);
    for (let shard = 0; shard < shards; shard++) await runDurableObjectAlarm(shardStub(env, shard));
    for (let smallShard = 0; smallShard < shards; smallShard++) {
      await drainAll();
      for (let shard = 0; shard < shards; shard++) {
        for (let i = 0; i < 5; i++) await shardStub(env, shard).enqueue({ id: jobIdInShard(shard), tenantId: 'sweepflood', tier: 'pro', params, queueLimit: 1000 });
      }
      await shardStub(env, smallShard).enqueue({ id: jobIdInShard(smallShard), tenantId: 'sweepsmall', tier: 'pro', params, queueLimit: 1000 });
      const { jobs } = (await (await internal('POST', '/internal/lease', { workerId: 'sweeper', slots: 1, waitMs: 0 })).json()) as LeaseResponse;
      expect(jobs.map((job) => job.tenantId)).toEqual(['sweepsmall']);
    }
    // Tier priority holds across shards too: a pro job in one shard goes before plus work in all the others.
    // (Free work is left out: a shard that has leased only paid work lately owes free its aging share, which outranks tiers.)
    await drainAll();
    for (let shard = 1; shard < shards; shard++) await shardStub(env, shard).enqueue({ id: jobIdInShard(shard), tenantId: 'sweepplus', tier: 'plus', params, queueLimit: 1000 });
    await shardStub(env, 0).enqueue({ id: jobIdInShard(0), tenantId: 'sweeppro', tier: 'pro', params, queueLimit: 1000 });
    const { jobs } = (await (await internal('POST', '/internal/lease', { workerId: 'sweeper', slots: 1, waitMs: 0 })).json()) as LeaseResponse;
    expect(jobs.map((job) => job.tier)).toEqual(['pro']);
    await drainAll();
  });

  it('should give a light-slot lease only jobs of tenants it does not except, and wake its long poll for those alone', async () => {
    // The job the test above leased last lapses and comes back: let it, and drain it.
    await sleep(TTL_MS + 100);
    for (let shard = 0; shard < Number(env.QUEUE_SHARDS); shard++) await runDurableObjectAlarm(shardStub(env, shard));
    await drainAll();
    for (let i = 0; i < 5; i++) await shardStub(env, 0).enqueue({ id: jobIdInShard(0), tenantId: 'lightflood', tier: 'pro', params, queueLimit: 1000 });
    await shardStub(env, 1).enqueue({ id: jobIdInShard(1), tenantId: 'lightplus', tier: 'plus', params, queueLimit: 1000 });
    await shardStub(env, 1).enqueue({ id: jobIdInShard(1), tenantId: 'lightfree', tier: 'free', params, queueLimit: 1000 });
    const light = { workerId: 'light-slot', slots: 2, maxFree: 0, exceptTenants: ['lightflood'] };
    // The flood's pro jobs outrank the plus job, but the flood is excepted; the free job is not for a paid-only call.
    const first = (await (await internal('POST', '/internal/lease', { ...light, waitMs: 0 })).json()) as LeaseResponse;
    expect(first.jobs.map((job) => job.tenantId)).toEqual(['lightplus']);
    const finish = async (jobs: LeaseResponse['jobs']) => {
      for (const job of jobs) await internal('POST', `/internal/jobs/${job.id}/fail`, { leaseId: job.leaseId, retryable: false, error: { message: 'done', code: 'done', clientError: false } });
    };
    // Ended at once: an unconfirmed lease would lapse and bring the job back into the poll below.
    await finish(first.jobs);

    // A long poll sleeps through the excepted tenant's new work, and takes the next job of anyone else.
    const polled = internal('POST', '/internal/lease', { ...light, slots: 1, waitMs: 3_000 }).then(async (response) => (JSON.parse((await response.text()).trim()) as LeaseResponse).jobs);
    await sleep(300);
    await shardStub(env, 2 % Number(env.QUEUE_SHARDS)).enqueue({ id: jobIdInShard(2 % Number(env.QUEUE_SHARDS)), tenantId: 'lightflood', tier: 'pro', params, queueLimit: 1000 });
    await sleep(300);
    await shardStub(env, 0).enqueue({ id: jobIdInShard(0), tenantId: 'lightsmall', tier: 'pro', params, queueLimit: 1000 });
    const second = await polled;
    expect(second.map((job) => job.tenantId)).toEqual(['lightsmall']);
    await finish(second);

    for (const exceptTenants of ['lightflood', [''], Array.from({ length: 65 }, (_, i) => `t${i}`)]) {
      const refused = await internal('POST', '/internal/lease', { workerId: 'light-slot', slots: 1, waitMs: 0, exceptTenants });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { param: string } }).error.param).toMatch(/^exceptTenants/);
    }
    await drainAll();
  });
});
