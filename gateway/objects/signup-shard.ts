import { and, like, lt } from 'drizzle-orm';
import { rateBuckets } from '../../schema/gateway.js';
import type { Env } from '../env.js';
import { SIGNUP_SHARDS, type SignupLimits } from '../limits.js';
import { writeMetricEvent } from '../metrics.js';
import { SqliteObject } from './migrate.js';
import { canTake, peekBucket, perHour, sqlBuckets, takeBucket, type BucketSpec } from './token-bucket.js';

export type SignupDecision = { ok: true } | { ok: false; scope: 'ip' | 'global' | 'closed'; retryAfterMs: number };

/** Signups this shard accepted and refused (by scope) since the object started, for /v1/admin/metrics. */
export type SignupCounts = Record<'accepted' | Extract<SignupDecision, { ok: false }>['scope'], number>;

export interface AuthFailureCount {
  /** Failures from this IP in its current one-minute window, across every isolate that reported to this shard. */
  failures: number;
  /** How long the IP stays throttled (0 when it is not). */
  throttledForMs: number;
}

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/**
 * Per-client-IP counters, one of SIGNUP_SHARDS objects picked by a hash of
 * the IP: so one IP always lands on the same shard (its per-IP limits are
 * exact), and no single object sees every signup. Each shard also owns
 * 1/SIGNUP_SHARDS of the global signup rate, and counts failed
 * authentications for the auth throttle: per client address, per tenant id
 * and the shared `untrusted-peer` count, each by its own key (`ip:…`,
 * `tenant:…`), hashed to a shard like an IP.
 */
export class SignupShard extends SqliteObject {
  /**
   * Failed-auth counts live in memory only: they matter for one minute, and
   * losing them when the object is evicted merely restarts that minute.
   */
  readonly #authFailures = new Map<string, { windowStart: number; failures: number }>();
  readonly #signups: SignupCounts = { accepted: 0, ip: 0, global: 0, closed: 0 };



  /** Takes one signup from the IP's bucket and this shard's share of the global rate, or neither. */
  async trySignup(ip: string, limits: SignupLimits, shards: number = SIGNUP_SHARDS): Promise<SignupDecision> {
    const decision = this.#decideSignup(ip, limits, shards);
    this.#signups[decision.ok ? 'accepted' : decision.scope]++;
    writeMetricEvent(this.env, decision.ok ? 'signup_accepted' : 'signup_refused', decision.ok ? [] : [decision.scope]);
    return decision;
  }

  async signupCounts(): Promise<SignupCounts> {
    return { ...this.#signups };
  }

  #decideSignup(ip: string, limits: SignupLimits, shards: number): SignupDecision {
    const now = Date.now();
    if (limits.globalPerMinute <= 0) return { ok: false, scope: 'closed', retryAfterMs: MINUTE_MS };
    const share = limits.globalPerMinute / shards;
    const global: BucketSpec = { capacity: Math.max(1, Math.ceil(share)), refillPerMs: share / MINUTE_MS };
    const perIp = perHour(limits.perIpPerHour);
    const ipBucket = `ip:${ip}`;
    // A bucket untouched for an hour has refilled completely, which is what a missing row means.
    this.db.delete(rateBuckets).where(and(like(rateBuckets.name, 'ip:%'), lt(rateBuckets.updatedAt, now - HOUR_MS))).run();
    // Signups are rare enough to write every take straight to SQLite: a restart forgets nothing.
    const buckets = sqlBuckets(this.db);
    if (!canTake(buckets, ipBucket, perIp, 1, now)) {
      return { ok: false, scope: 'ip', retryAfterMs: Math.min(HOUR_MS, peekBucket(buckets, ipBucket, perIp, now).waitMs) };
    }
    if (!canTake(buckets, 'global', global, 1, now)) {
      return { ok: false, scope: 'global', retryAfterMs: Math.min(MINUTE_MS, peekBucket(buckets, 'global', global, now).waitMs) };
    }
    takeBucket(buckets, ipBucket, perIp, 1, now);
    takeBucket(buckets, 'global', global, 1, now);
    return { ok: true };
  }

  /** Counts one failed authentication from `ip`, in a one-minute window opened by its first failure. */
  async recordAuthFailure(ip: string, limitPerMinute: number): Promise<AuthFailureCount> {
    const now = Date.now();
    const previous = this.#authFailures.get(ip);
    const entry = previous && now - previous.windowStart < MINUTE_MS ? previous : { windowStart: now, failures: 0 };
    entry.failures++;
    this.#authFailures.delete(ip);
    this.#authFailures.set(ip, entry);
    if (this.#authFailures.size > 50_000) {
      for (const [key, value] of this.#authFailures) if (now - value.windowStart >= MINUTE_MS) this.#authFailures.delete(key);
    }
    return { failures: entry.failures, throttledForMs: entry.failures >= limitPerMinute ? entry.windowStart + MINUTE_MS - now : 0 };
  }
}

/** FNV-1a: cheap, stable, and spreads IPs evenly; nothing here needs a cryptographic hash. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Which of the shards counts this IP. */
export function signupShardIndex(ip: string, shards: number = SIGNUP_SHARDS): number {
  return fnv1a(ip) % shards;
}

export function signupShardFor(env: Env, ip: string, shards: number = SIGNUP_SHARDS): DurableObjectStub<SignupShard> {
  return env.SIGNUP_SHARD.get(env.SIGNUP_SHARD.idFromName(`signup-${signupShardIndex(ip, shards)}`));
}
