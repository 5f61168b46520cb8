import { describe, expect, it } from 'vitest';
import { ADMIN_SECRET, call, createTenant } from './helpers.js';

const json = { 'content-type': 'application/json' };
const admin = { authorization: `Bearer ${ADMIN_SECRET}` };

function generate(key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return call('/v1/images/generations', { method: 'POST', headers: { ...json, authorization: `Bearer ${key}`, ...headers }, body: JSON.stringify(body) });
}

async function idOf(response: Response): Promise<string> {
  return ((await response.json()) as { id: string }).id;
}

async function usageToday(tenant: string): Promise<{ requests: number; images: number; throttled: number }> {
  const usage = (await (await call(`/v1/admin/tenants/${tenant}/usage`, { headers: admin })).json()) as {
    perDay: { requests: number; images: number; throttled: number }[];
  };
  return usage.perDay.at(-1) ?? { requests: 0, images: 0, throttled: 0 };
}

// The idempotency lookup runs before every limit: a retry must get the first attempt's job, never a 429 for it.
// The first request of a file also boots the worker, which can take seconds on a loaded machine.
describe('idempotency before admission', { timeout: 20_000 }, () => {
  it('should replay a free tenant\'s queued job instead of refusing the retry as a second concurrent job', async () => {
    const key = await createTenant('idemqueued', 'free');
    const headers = { 'idempotency-key': 'retry-1', prefer: 'respond-async' };
    const first = await generate(key, { prompt: 'a lighthouse', size: '256x256' }, headers);
    expect(first.status).toBe(202);
    const retry = await generate(key, { size: '256x256', prompt: 'a lighthouse' }, headers);
    expect(retry.status).toBe(202);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await idOf(retry)).toBe(await idOf(first));
    // A different request is still a second concurrent job for the free plan.
    expect((await generate(key, { prompt: 'another', size: '256x256' }, { prefer: 'respond-async' })).status).toBe(429);
  });

  it('should answer the same key with another body 422, even while the plan is at its concurrency limit', async () => {
    const key = await createTenant('idemconflict', 'free');
    const headers = { 'idempotency-key': 'retry-2', prefer: 'respond-async' };
    expect((await generate(key, { prompt: 'one', size: '256x256' }, headers)).status).toBe(202);
    const other = await generate(key, { prompt: 'two', size: '256x256' }, headers);
    expect(other.status).toBe(422);
    expect(((await other.json()) as { error: { code: string; param: string } }).error).toMatchObject({ code: 'idempotency_key_reused', param: 'Idempotency-Key' });
  });

  it('should replay a finished job any number of times without spending requests or images', async () => {
    const key = await createTenant('idemfinished', 'free');
    const headers = { 'idempotency-key': 'retry-3', prefer: 'respond-async' };
    const first = await generate(key, { prompt: 'a kite', size: '256x256' }, headers);
    const id = await idOf(first);
    // Cancelling ends the job (and frees its slot) without a worker.
    expect((await call(`/v1/images/jobs/${id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    // The free plan has 5 images a minute: before the fix the fifth replay was refused with 429 `images`.
    for (let i = 0; i < 8; i++) {
      const replay = await generate(key, { prompt: 'a kite', size: '256x256' }, headers);
      expect(replay.status, `replay ${i + 1}`).toBe(202);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      const body = (await replay.json()) as { id: string; status: string };
      expect(body).toMatchObject({ id, status: 'cancelled' });
    }
    // Charged: the first attempt and the cancel. The eight replays cost nothing.
    expect(await usageToday('idemfinished')).toMatchObject({ requests: 2, images: 1, throttled: 0 });
  });

  it('should answer a sync replay of a finished job as the job ended, like the original would', async () => {
    const key = await createTenant('idemsync', 'pro');
    const headers = { 'idempotency-key': 'retry-4' };
    const first = await generate(key, { prompt: 'a bell', size: '256x256' }, { ...headers, prefer: 'respond-async' });
    const id = await idOf(first);
    await call(`/v1/images/jobs/${id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
    const replay = await generate(key, { prompt: 'a bell', size: '256x256' }, headers);
    expect(replay.status).toBe(409);
    expect(replay.headers.get('lumen-job-id')).toBe(id);
    expect(((await replay.json()) as { error: { code: string } }).error.code).toBe('job_cancelled');
  });

  it('should answer a Prefer: wait replay of a queued job as the original: 202 with that job at once, its estimate being past the budget', async () => {
    const key = await createTenant('idemwait', 'pro');
    const headers = { 'idempotency-key': 'retry-5' };
    const first = await generate(key, { prompt: 'a drum', size: '256x256' }, { ...headers, prefer: 'respond-async' });
    const id = await idOf(first);
    // No worker runs in this test: the unmeasured shard assumes 8 s for the job, past the 1 s budget.
    const replay = await generate(key, { prompt: 'a drum', size: '256x256' }, { ...headers, prefer: 'wait=1' });
    expect(replay.status).toBe(202);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.headers.get('lumen-admission')).toBe('deferred');
    expect(await idOf(replay)).toBe(id);
    await call(`/v1/images/jobs/${id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
  });

  it('should make one job of two simultaneous first attempts and give the loser\'s tokens back', async () => {
    const key = await createTenant('idemrace', 'pro');
    const headers = { 'idempotency-key': 'race-1', prefer: 'respond-async' };
    const body = { prompt: 'twins', size: '256x256', n: 2 };
    const [a, b] = await Promise.all([generate(key, body, headers), generate(key, body, headers)]);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(await idOf(a)).toBe(await idOf(b));
    // However the two interleaved, the tenant is charged for one request of two images.
    expect(await usageToday('idemrace')).toMatchObject({ requests: 1, images: 2 });
  });
});
