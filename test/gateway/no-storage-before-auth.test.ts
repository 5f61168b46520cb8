import { listDurableObjectIds } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { call, createTenant, env, internal } from './helpers.js';

const FLOOD = 200;

function hex(length: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(length / 2)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function alnum(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(crypto.getRandomValues(new Uint8Array(length)), (byte) => alphabet[byte % 62]).join('');
}

const tenantObjects = async () => (await listDurableObjectIds(env.TENANT)).length;
/** QueueShard objects other than the configured shards, which the surge controller's polling may create at any time. */
const unconfiguredShardObjects = async () => {
  const configured = new Set(Array.from({ length: Number(env.QUEUE_SHARDS) }, (_, shard) => env.QUEUE_SHARD.idFromName(`shard-${shard}`).toString()));
  return (await listDurableObjectIds(env.QUEUE_SHARD)).filter((id) => !configured.has(id.toString())).length;
};

// Durable Objects are storage: a client that has not proved who it is must not be able to create any.
describe('no storage before authentication', () => {
  it('should create no Tenant object for a flood of made-up keys', { timeout: 60_000 }, async () => {
    await createTenant('floodreal', 'pro');
    const before = await tenantObjects();
    const statuses = new Set<number>();
    for (let i = 0; i < FLOOD; i++) {
      // Every shape a made-up key can take: the old format, the signed format with a guessed tag, and junk tags.
      const tenant = `zzqa${i}`;
      const key = [`lk_${tenant}_${alnum(32)}`, `lk_${tenant}_${alnum(32)}${hex(16)}`, `lk_${tenant}_${alnum(48)}`][i % 3]!;
      // A new address each time, so the per-address throttle alone would not hide the problem.
      const response = await call('/v1/images/jobs/job_0_x', { headers: { authorization: `Bearer ${key}`, 'cf-connecting-ip': `198.18.${i >> 8}.${i & 255}` } });
      await response.text();
      statuses.add(response.status);
    }
    expect([...statuses].every((status) => status === 401 || status === 429)).toBe(true);
    expect(await tenantObjects()).toBe(before);
  });

  it('should create no QueueShard object for a flood of made-up job ids, on the public or the internal API', { timeout: 60_000 }, async () => {
    const key = await createTenant('floodjobs', 'pro', { requestsPerMinute: 10_000 });
    const auth = { authorization: `Bearer ${key}` };
    const before = await unconfiguredShardObjects();
    for (let i = 0; i < FLOOD; i++) {
      // Shards from 1,000 up to 1,679,615 (`zzzz` in base 36): far past any configured shard count.
      const shard = (1_000 + ((i * 8_391) % 1_678_615)).toString(36);
      const id = `job_${i === 0 ? 'zzzz' : shard}_${hex(32)}`;
      const requests = [
        () => call(`/v1/images/jobs/${id}`, { headers: auth }),
        () => call(`/v1/images/jobs/${id}/cancel`, { method: 'POST', headers: auth }),
        () => call(`/v1/images/jobs/${id}/events`, { headers: auth }),
        () => call(`/v1/images/jobs/${id}/images/0`, { headers: auth }),
        () =>
          call('/v1/images/edits', {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json' },
            body: JSON.stringify({ prompt: 'x', image_id: `img_${id.slice(4)}_0` }),
          }),
        () => internal('POST', `/internal/jobs/${id}/heartbeat`, { leaseId: 'l', passesDone: 0 }),
      ];
      // One route per id, in turn: every route sees ~33 of the 200 ids.
      const response = await requests[i % requests.length]!();
      const body = await response.text();
      expect(response.status, body).toBe(404);
    }
    expect(await unconfiguredShardObjects()).toBe(before);
  });
});
