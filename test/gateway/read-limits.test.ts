import { describe, expect, it } from 'vitest';
import type { LeaseResponse } from '../../protocol/jobs.js';
import { ADMIN_SECRET, call, createTenant, env, internal } from './helpers.js';

const admin = { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' };
const read = (key: string, headers: Record<string, string> = {}) => ({ headers: { authorization: `Bearer ${key}`, ...headers } });

function submit(key: string, prompt: string) {
  return call('/v1/images/generations', {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', prefer: 'respond-async' },
    body: JSON.stringify({ prompt, size: '256x256' }),
  });
}

/** Leases the job and completes it with one stored image, as an origin would. */
async function complete(tenant: string, id: string): Promise<void> {
  let leased: LeaseResponse['jobs'][number] | undefined;
  while (!leased) {
    const { jobs } = (await (await internal('POST', '/internal/lease', { workerId: 'reads-test', slots: 8, waitMs: 0 })).json()) as LeaseResponse;
    leased = jobs.find((job) => job.id === id);
    if (jobs.length === 0) throw new Error('job never leased');
  }
  const key = `images/${tenant}/${id}/${leased.leaseId}/0.png`;
  await env.IMAGES.put(key, new Uint8Array([137, 80, 78, 71]));
  const image = { index: 0, key, contentType: 'image/png', bytes: 4 };
  expect((await internal('POST', `/internal/jobs/${id}/complete`, { leaseId: leased.leaseId, images: [image], usage: { inputTokens: 1, outputTokens: 4 } })).status).toBe(200);
}

/** Submits one job, then spends the rest of the key's create (requests) budget until a POST gets 429 for it. */
async function jobWithCreateBudgetSpent(key: string): Promise<string> {
  const created = await submit(key, 'a red circle');
  expect(created.status).toBe(202);
  const { id } = (await created.json()) as { id: string };
  for (let attempt = 0; attempt < 40; attempt++) {
    const response = await submit(key, `filler ${attempt}`);
    const { error } = (await response.json()) as { error?: { type: string } };
    if (response.status === 429 && error?.type === 'requests') return id;
  }
  throw new Error('the create budget never ran out');
}

describe('read budget', () => {
  it('should let a free key whose create budget is spent poll, stream and fetch its job to completion', async () => {
    const key = await createTenant('readsfree', 'free');
    const id = await jobWithCreateBudgetSpent(key);
    // Free creates 20 a minute; polling 60 times must not touch that bucket.
    for (let i = 0; i < 60; i++) {
      const polled = await call(`/v1/images/jobs/${id}`, read(key));
      expect(polled.status).toBe(200);
      if (i === 0) {
        expect(polled.headers.get('x-ratelimit-limit-reads')).toBe('200');
        expect(polled.headers.get('x-ratelimit-remaining-reads')).toBe('199');
        expect(polled.headers.get('x-ratelimit-reset-reads')).toMatch(/^\d+(ms|(\.\d)?s)$/);
        expect(polled.headers.get('ratelimit-policy')).toBe('"reads";q=200;w=60');
        expect(polled.headers.get('ratelimit')).toBe('"reads";r=199;t=0');
        expect(polled.headers.get('x-ratelimit-remaining-requests')).toBeNull();
      }
    }
    const events = await call(`/v1/images/jobs/${id}/events`, read(key));
    expect(events.status).toBe(200);
    expect(events.headers.get('x-ratelimit-limit-reads')).toBe('200');
    await complete('readsfree', id);
    const stream = await events.text();
    expect(stream).toContain('event: completed');
    const done = (await (await call(`/v1/images/jobs/${id}`, read(key))).json()) as { status: string };
    expect(done.status).toBe('succeeded');
    const file = await call(`/v1/images/jobs/${id}/images/0`, read(key));
    expect(file.status).toBe(200);
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(new Uint8Array([137, 80, 78, 71]));
    // The create bucket is still spent: reads never refilled or spent it.
    const again = await submit(key, 'one more');
    expect(again.status).toBe(429);
  });

  it('should refuse reads past the read limit with Retry-After and the reads headers', async () => {
    const key = await createTenant('readscap', 'free');
    const put = await call('/v1/admin/tenants/readscap/limits', { method: 'PUT', headers: admin, body: JSON.stringify({ readsPerMinute: 30 }) });
    expect(put.status).toBe(200);
    const created = await submit(key, 'a blue square');
    const { id } = (await created.json()) as { id: string };
    let refused: Response | undefined;
    for (let i = 0; i < 40 && !refused; i++) {
      const response = await call(`/v1/images/jobs/${id}`, read(key));
      if (response.status === 429) refused = response;
      else expect(response.status).toBe(200);
    }
    expect(refused).toBeDefined();
    const { error } = (await refused!.json()) as { error: { type: string; code: string } };
    expect(error).toMatchObject({ type: 'reads', code: 'rate_limit_exceeded' });
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused!.headers.get('x-ratelimit-limit-reads')).toBe('30');
    expect(refused!.headers.get('x-ratelimit-remaining-reads')).toBe('0');
    // Cancel is a read: it shares this budget, never the create one.
    const cancel = await call(`/v1/images/jobs/${id}/cancel`, { method: 'POST', ...read(key) });
    expect(cancel.status).toBe(429);
  });

  it('should hold GET /jobs/:id with Prefer: wait until the job finishes', async () => {
    const key = await createTenant('readswait', 'free');
    const { id } = (await (await submit(key, 'a green triangle')).json()) as { id: string };
    const started = Date.now();
    const finishing = new Promise<void>((resolve, reject) => setTimeout(() => complete('readswait', id).then(resolve, reject), 300));
    const response = await call(`/v1/images/jobs/${id}`, read(key, { prefer: 'wait=2' }));
    const elapsedMs = Date.now() - started;
    await finishing;
    expect(response.status).toBe(200);
    expect(response.headers.get('preference-applied')).toBe('wait=2');
    expect(((await response.json()) as { status: string }).status).toBe('succeeded');
    expect(elapsedMs).toBeGreaterThanOrEqual(250);
    expect(elapsedMs).toBeLessThan(1_800);
    expect(response.headers.get('x-ratelimit-remaining-reads')).toBe('199');
  });

  it('should answer after the wait with the job still queued when it does not finish', async () => {
    const key = await createTenant('readsslow', 'free');
    const { id } = (await (await submit(key, 'a grey hexagon')).json()) as { id: string };
    const started = Date.now();
    const response = await call(`/v1/images/jobs/${id}`, read(key, { prefer: 'wait=2' }));
    const elapsedMs = Date.now() - started;
    expect(response.status).toBe(200);
    expect(((await response.json()) as { status: string }).status).toBe('queued');
    expect(elapsedMs).toBeGreaterThanOrEqual(1_900);
    expect(elapsedMs).toBeLessThan(4_000);
  });
});
