import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { connectLibsql } from '../../origin-gpu/db.js';
import { GatewayClient } from '../../origin-gpu/gateway-client.js';
import type { ManagedProcess } from './stack-imports.js';
import { startTestStack, until, type TestStack } from './stack.js';

const SLOW_PIPELINE = fileURLToPath(new URL('./fixtures/slow-pipeline.json', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface PublicJob {
  id: string;
  status: string;
  attempt: number;
}

/** A stream event as the SDK yields it: Lumen's own events arrive as they are, outside the SDK's union. */
interface StreamEvent {
  type: string;
  partial_image_index?: number;
  attempt?: number;
  resume_from_pass?: number;
  attempt_spent?: boolean;
  reason?: string;
}


describe('streams and leases across the loss of a worker, against the real processes', () => {
  let stack: TestStack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  async function job(key: string, id: string): Promise<PublicJob> {
    const response = await fetch(`${stack!.url}/v1/images/jobs/${id}`, { headers: { authorization: `Bearer ${key}` } });
    return (await response.json()) as PublicJob;
  }

  it('should keep a stream open across a SIGKILLed worker: requeued, then the resumed partials with none repeated, then completed', { timeout: 120_000 }, async () => {
    stack = await startTestStack({ origins: 0, vars: { LEASE_TTL_MS: '1500' } });
    const key = await stack.key('resumestream', 'pro');
    const doomed = await stack.addOrigin('doomed', { LUMEN_PIPELINE: SLOW_PIPELINE });
    // The official SDK reads the stream: Lumen's requeued event must not break it.
    const client = new OpenAI({ apiKey: key, baseURL: `${stack.url}/v1`, maxRetries: 0 });
    const stream = await client.images.generate({ prompt: 'a red circle and a small yellow star on a blue background', size: '256x256', stream: true, partial_images: 3 });

    const events: StreamEvent[] = [];
    let rescuer: Promise<ManagedProcess> | undefined;
    for await (const event of stream) {
      events.push(event as StreamEvent);
      if (event.type === 'image_generation.partial_image' && !rescuer) {
        await doomed.kill();
        rescuer = stack.addOrigin('rescuer', { LUMEN_PIPELINE: SLOW_PIPELINE });
      }
    }
    await rescuer;

    const types = events.map((event) => event.type);
    const requeuedAt = types.indexOf('image_generation.requeued');
    expect(requeuedAt).toBeGreaterThan(0);
    const requeued = events[requeuedAt]!;
    expect(requeued).toMatchObject({ attempt: 1, attempt_spent: true, reason: expect.any(String) });
    expect(requeued.resume_from_pass).toBeLessThanOrEqual(1);
    // The resumed attempt's previews follow the requeue, and no partial index reaches the client twice.
    const partialIndexes = events.filter((event) => event.type === 'image_generation.partial_image').map((event) => event.partial_image_index);
    expect([...partialIndexes].sort(), `stream events: ${types.join(', ')}`).toEqual([0, 1, 2]);
    expect(types.slice(requeuedAt + 1)).toContain('image_generation.partial_image');
    expect(types.filter((type) => type === 'image_generation.completed')).toHaveLength(1);
    expect(types.at(-1)).toBe('image_generation.completed');

    // The run is recorded as succeeded only after the gateway has the result, so the row can trail the stream's completed event.
    const db = connectLibsql(stack.dbUrl);
    const runs = await until('the rescuer\'s run recorded', async () => {
      const rows = (await db.execute({ sql: 'select worker_id, status from runs order by attempt', args: [] })).rows;
      return rows.length === 2 && rows[1]!.status !== 'running' ? rows : undefined;
    }).finally(() => db.close());
    expect(runs.map((run) => run.worker_id)).toEqual(['doomed', 'rescuer']);
    expect(runs[1]!.status).toBe('succeeded');
  });

  it('should give a draining worker no job: one submitted as it leaves runs on another worker at once, its attempt unspent', { timeout: 120_000 }, async () => {
    // The default 10 s lease TTL: a job handed to the departed worker's long-poll would sit out all of it.
    stack = await startTestStack({ origins: 0 });
    const key = await stack.key('drainpro', 'pro');
    const departing = await stack.addOrigin('departing');
    // Its lease long-poll is open and idle.
    await sleep(1_000);
    await departing.stop();

    const response = await fetch(`${stack.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', prefer: 'respond-async' },
      body: JSON.stringify({ prompt: 'a purple triangle', size: '256x256' }),
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as PublicJob;
    await stack.addOrigin('successor');
    const ready = Date.now();
    const done = await until('completion', async () => {
      const current = await job(key, id);
      return current.status === 'succeeded' ? current : undefined;
    });
    expect(done.attempt).toBe(1);
    // Taken at once by the successor, not after a lease handed to the departed worker had lapsed.
    expect(Date.now() - ready).toBeLessThan(5_000);
    // Leased once, by the successor: the departed worker's still-open call was handed nothing.
    const events = await (await fetch(`${stack.url}/v1/images/jobs/${id}/events`, { headers: { authorization: `Bearer ${key}` } })).text();
    expect(events.match(/^event: leased$/gm)).toHaveLength(1);
    expect(events).not.toMatch(/^event: requeued$/m);

    const db = connectLibsql(stack.dbUrl);
    const runs = (await db.execute({ sql: 'select worker_id from runs where job_id = ?', args: [id] })).rows;
    db.close();
    expect(runs.map((run) => run.worker_id)).toEqual(['successor']);
    expect(stack.logs.some((line) => line.startsWith('[departing]') && line.includes('"stopped"'))).toBe(true);
  });

  it('should take back a job whose worker died as it was handed out within half the TTL, its attempt unspent', { timeout: 120_000 }, async () => {
    stack = await startTestStack({ origins: 0 });
    const key = await stack.key('vanishpro', 'pro');
    const response = await fetch(`${stack.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', prefer: 'respond-async' },
      body: JSON.stringify({ prompt: 'a yellow square', size: '256x256' }),
    });
    const { id } = (await response.json()) as PublicJob;
    // A worker that takes the job and is gone before its first heartbeat.
    const gateway = new GatewayClient(stack.url, stack.secrets.originSecret);
    const { jobs } = await gateway.lease({ workerId: 'vanishes', slots: 1, waitMs: 0 });
    expect(jobs.map((leased) => leased.id)).toEqual([id]);
    const leasedAt = Date.now();
    const back = await until('the job to be queued again', async () => {
      const current = await job(key, id);
      return current.status === 'queued' ? current : undefined;
    });
    const backAfterMs = Date.now() - leasedAt;
    expect(back.attempt).toBe(0);
    // The default TTL is 10 s; an unconfirmed lease lasts half of it.
    expect(backAfterMs).toBeGreaterThan(4_000);
    expect(backAfterMs).toBeLessThan(8_000);
  });
});
