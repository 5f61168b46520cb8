import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.js';

/** How many GatewayCounters objects isolates spread their flushes over; a scrape reads them all. */
export const COUNTER_SHARDS = 4;
const STORAGE_KEY = 'counts';

/** A counter's key: JSON of `[metric name, labels]`, made only from enumerated values (no tenant or job ids). */
export type CounterKey = string;

export function counterKey(name: string, labels: Record<string, string>): CounterKey {
  return JSON.stringify([name, labels]);
}

export function parseCounterKey(key: CounterKey): { name: string; labels: Record<string, string> } {
  const [name, labels] = JSON.parse(key) as [string, Record<string, string>];
  return { name, labels };
}

/**
 * Counts of what isolates see that no Durable Object does: admissions by
 * mode and 429s by tier and limit. Isolates add their counts in batches, at
 * most about once a second each (middleware/request-metrics.ts), so an object
 * takes a write per batch, not per request; the counts are stored, so they
 * survive restarts.
 */
export class GatewayCounters extends DurableObject<Env> {
  async add(batch: Record<CounterKey, number>): Promise<void> {
    const counts = this.#read();
    for (const [key, value] of Object.entries(batch)) counts[key] = (counts[key] ?? 0) + value;
    this.ctx.storage.kv.put(STORAGE_KEY, counts);
  }

  async counts(): Promise<Record<CounterKey, number>> {
    return this.#read();
  }

  #read(): Record<CounterKey, number> {
    return (this.ctx.storage.kv.get(STORAGE_KEY) as Record<CounterKey, number> | undefined) ?? {};
  }
}

export function countersStub(env: Env, index: number): DurableObjectStub<GatewayCounters> {
  return env.GATEWAY_COUNTERS.get(env.GATEWAY_COUNTERS.idFromName(`counters-${index}`));
}
