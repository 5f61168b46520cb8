// Token buckets of a Durable Object. Every operation is synchronous (the
// object's memory, or its in-process SQLite), so a read-refill-take-write runs
// with no `await` inside it: concurrent calls cannot interleave. That is the
// whole concurrency story; no locks.
import { eq } from 'drizzle-orm';
import { rateBuckets } from '../../schema/gateway.js';
import type { GatewayDatabase } from './migrate.js';

export interface BucketState {
  tokens: number;
  updatedAt: number;
}

/** Where bucket states live; a missing state is a full bucket. Both methods must be synchronous. */
export interface BucketStore {
  read(name: string): BucketState | undefined;
  write(name: string, state: BucketState): void;
}

/** Buckets straight in the object's SQLite (`rate_buckets`): every take is a write. */
export function sqlBuckets(db: GatewayDatabase): BucketStore {
  return {
    read: (name) => db.select({ tokens: rateBuckets.tokens, updatedAt: rateBuckets.updatedAt }).from(rateBuckets).where(eq(rateBuckets.name, name)).get(),
    write: (name, { tokens, updatedAt }) => {
      db.insert(rateBuckets)
        .values({ name, tokens, updatedAt })
        .onConflictDoUpdate({ target: rateBuckets.name, set: { tokens, updatedAt } })
        .run();
    },
  };
}

export interface BucketSpec {
  /** Most tokens the bucket holds (the burst). */
  capacity: number;
  /** Tokens added back per millisecond, continuously. */
  refillPerMs: number;
}

export interface BucketReading {
  capacity: number;
  /** Whole tokens left after this call. */
  remaining: number;
  /** Milliseconds until the bucket is full again. */
  resetMs: number;
  /** Milliseconds until the bucket holds `wanted` tokens (0 when it already does); Infinity if it never can. */
  waitMs: number;
}

/** A bucket sized and refilled by a per-minute limit. */
export function perMinute(limit: number): BucketSpec {
  return { capacity: limit, refillPerMs: limit / 60_000 };
}

/** A bucket sized and refilled by a per-hour limit. */
export function perHour(limit: number): BucketSpec {
  return { capacity: limit, refillPerMs: limit / 3_600_000 };
}

function level(store: BucketStore, name: string, spec: BucketSpec, now: number): number {
  const row = store.read(name);
  if (!row) return spec.capacity;
  const refilled = row.tokens + Math.max(0, now - row.updatedAt) * spec.refillPerMs;
  // A limit lowered live caps what is left at once.
  return Math.min(spec.capacity, refilled);
}

function reading(tokens: number, wanted: number, spec: BucketSpec): BucketReading {
  const missing = (need: number) => {
    if (tokens >= need) return 0;
    if (spec.refillPerMs <= 0 || need > spec.capacity) return Infinity;
    return Math.ceil((need - tokens) / spec.refillPerMs);
  };
  return { capacity: spec.capacity, remaining: Math.max(0, Math.floor(tokens)), resetMs: missing(spec.capacity), waitMs: missing(wanted) };
}

/** The bucket as it stands, without taking anything. */
export function peekBucket(store: BucketStore, name: string, spec: BucketSpec, now: number, wanted = 1): BucketReading {
  return reading(level(store, name, spec, now), wanted, spec);
}

/** Whether `amount` tokens are there now; takes nothing. */
export function canTake(store: BucketStore, name: string, spec: BucketSpec, amount: number, now: number): boolean {
  return level(store, name, spec, now) >= amount;
}

/**
 * Takes `amount` tokens if they are all there; otherwise takes none. Returns
 * whether it took them and the bucket afterwards.
 */
export function takeBucket(store: BucketStore, name: string, spec: BucketSpec, amount: number, now: number): { ok: boolean } & BucketReading {
  const tokens = level(store, name, spec, now);
  if (tokens < amount) return { ok: false, ...reading(tokens, amount, spec) };
  const left = tokens - amount;
  store.write(name, { tokens: left, updatedAt: now });
  return { ok: true, ...reading(left, 1, spec) };
}

/** Puts back `amount` tokens taken for work that then did not happen (never above capacity). */
export function returnToBucket(store: BucketStore, name: string, spec: BucketSpec, amount: number, now: number): BucketReading {
  const tokens = Math.min(spec.capacity, level(store, name, spec, now) + amount);
  store.write(name, { tokens, updatedAt: now });
  return reading(tokens, 1, spec);
}
