import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { config, ConfigError } from '../../gateway/config.js';
import type { Env } from '../../gateway/env.js';

const bindings = (vars: Partial<Env>): Env => ({ ...(env as Env), ...vars });

describe('config(env)', () => {
  it('should apply the defaults and parse the vars it is given', () => {
    const parsed = config(bindings({ QUEUE_SHARDS: '6', QUEUE_SHARDS_MAX: undefined, FREE_MIN_SHARE: '0', ADMISSION: 'off', WEBHOOK_ALLOWED_HOSTS: ' Receiver:8080 ,' }));
    expect(parsed.queueShards).toBe(6);
    expect(parsed.queueShardsMax).toBe(6);
    expect(parsed.freeMinShare).toBe(0);
    expect(parsed.admission).toBe(false);
    expect(parsed.webhookAllowedHosts).toEqual(['receiver:8080']);
    expect(parsed.syncWaitMs).toBe(120_000);
  });

  it('should parse each Env object once, and each one on its own', () => {
    const first = bindings({ LEASE_TTL_MS: '1000' });
    const second = bindings({ LEASE_TTL_MS: '2000' });
    expect(config(first)).toBe(config(first));
    expect(config(first).leaseTtlMs).toBe(1000);
    expect(config(second).leaseTtlMs).toBe(2000);
  });

  it('should refuse a bad value with an error naming the variable', () => {
    expect(() => config(bindings({ QUEUE_SHARDS: 'abc' }))).toThrow(new ConfigError('QUEUE_SHARDS must be an integer of at least 1; got "abc"'));
    expect(() => config(bindings({ FREE_MIN_SHARE: '2' }))).toThrow(/^FREE_MIN_SHARE must be a number from 0 to 1; got "2"$/);
    expect(() => config(bindings({ SYNC_WAIT_MS: '-5' }))).toThrow(/SYNC_WAIT_MS must be a number above 0/);
    expect(() => config(bindings({ TRUSTED_CLIENT_IP_HEADER: 'x-client' }))).toThrow(/TRUSTED_CLIENT_IP_HEADER must be one of/);
    expect(() => config(bindings({ ADMISSION: 'maybe' }))).toThrow(/ADMISSION must be "on" or "off"/);
    expect(() => config(bindings({ HOLD_KEEPALIVE_MS: '0' }))).toThrow(/HOLD_KEEPALIVE_MS must be a number above 0/);
    // A silent hold longer than the whole hold would never send its 200.
    expect(() => config(bindings({ HOLD_SILENT_MS: '90000', HOLD_MAX_MS: '60000' }))).toThrow(/HOLD_SILENT_MS \(90000\) must not exceed HOLD_MAX_MS \(60000\)/);
  });
});
