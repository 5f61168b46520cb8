import { and, eq, isNotNull, like, lt } from 'drizzle-orm';
import { rateBuckets, signups } from '../../schema/gateway.js';
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
/** Adopted signups are kept this long after adoption, then pruned. */
const ADOPTED_SIGNUP_KEPT_MS = 24 * HOUR_MS;

/** What a signup leaves for its tenant's object to adopt: the tenant's profile and its first key's hash. */
export interface PendingSignup {
  tenantId: string;
  keyId: string;
  secretHash: string;
  email: string | null;
  name: string | null;
  createdAt: number;
}

/**
 * Per-client-IP counters, one of SIGNUP_SHARDS objects picked by a hash of
 * the IP: so one IP always lands on the same shard (its per-IP limits are
 * exact), and no single object sees every signup. Each shard also owns
 * 1/SIGNUP_SHARDS of the global signup rate, and counts failed
 * authentications for the auth throttle: per client address, per tenant id
 * and the shared `untrusted-peer` count, each by its own key (`ip:…`,
 * `tenant:…`), hashed to a shard like an IP.
 *
 * An admitted signup is recorded here, in the same call and commit as its
 * buckets, and its tenant id names this shard (see `signupTenantId`): the
 * tenant's own object adopts it at the key's first use (Tenant, `adoptSignup`).
 */
export class SignupShard extends SqliteObject {
  /**
   * Failed-auth counts live in memory only: they matter for one minute, and
   * losing them when the object is evicted merely restarts that minute.
   */
  readonly #authFailures = new Map<string, { windowStart: number; failures: number }>();
  readonly #signups: SignupCounts = { accepted: 0, ip: 0, global: 0, closed: 0 };
  #lastPrunedAt = 0;

  /**
   * Takes one signup from the IP's bucket and this shard's share of the global
   * rate, or neither; an admitted one is recorded for its tenant to adopt.
   * `taken` means the tenant id is in use (practically never): nothing was
   * taken, and the caller retries with a fresh id.
   */
  async trySignup(ip: string, limits: SignupLimits, shards: number, signup: PendingSignup): Promise<SignupDecision | { ok: false; scope: 'taken' }> {
    if (this.db.select({ tenantId: signups.tenantId }).from(signups).where(eq(signups.tenantId, signup.tenantId)).get()) return { ok: false, scope: 'taken' };
    const decision = this.#decideSignup(ip, limits, shards);
    // No await between the bucket writes and this insert, so they commit together.
    if (decision.ok) this.db.insert(signups).values({ ...signup, adoptedAt: null }).run();
    this.#signups[decision.ok ? 'accepted' : decision.scope]++;
    writeMetricEvent(this.env, decision.ok ? 'signup_accepted' : 'signup_refused', decision.ok ? [] : [decision.scope]);
    return decision;
  }

  async signupCounts(): Promise<SignupCounts> {
    return { ...this.#signups };
  }

  /**
   * The signup of `tenantId`, marked adopted, or null when this shard admitted
   * no such signup. Answering again after adoption is what lets a Tenant that
   * crashed mid-adoption try again.
   */
  async adoptSignup(tenantId: string): Promise<PendingSignup | null> {
    const row = this.db.select().from(signups).where(eq(signups.tenantId, tenantId)).get();
    if (!row) return null;
    if (row.adoptedAt === null) this.db.update(signups).set({ adoptedAt: Date.now() }).where(eq(signups.tenantId, tenantId)).run();
    return { tenantId: row.tenantId, keyId: row.keyId, secretHash: row.secretHash, email: row.email, name: row.name, createdAt: row.createdAt };
  }

  #decideSignup(ip: string, limits: SignupLimits, shards: number): SignupDecision {
    const now = Date.now();
    if (limits.globalPerMinute <= 0) return { ok: false, scope: 'closed', retryAfterMs: MINUTE_MS };
    const share = limits.globalPerMinute / shards;
    const global: BucketSpec = { capacity: Math.max(1, Math.ceil(share)), refillPerMs: share / MINUTE_MS };
    const perIp = perHour(limits.perIpPerHour);
    const ipBucket = `ip:${ip}`;
    if (now - this.#lastPrunedAt >= MINUTE_MS) {
      this.#lastPrunedAt = now;
      // A bucket untouched for an hour has refilled completely, which is what a missing row means.
      this.db.delete(rateBuckets).where(and(like(rateBuckets.name, 'ip:%'), lt(rateBuckets.updatedAt, now - HOUR_MS))).run();
      this.db.delete(signups).where(and(isNotNull(signups.adoptedAt), lt(signups.adoptedAt, now - ADOPTED_SIGNUP_KEPT_MS))).run();
    }
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

const SHARD_DIGITS = 2;
const BASE36 = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A self-serve tenant id: `s`, the admitting shard's index in two base-36
 * characters (up to 1,296 shards), then 17 random ones (~88 bits). The index is
 * how the tenant's object finds its signup without any lookup table.
 */
export function signupTenantId(shardIndex: number): string {
  if (!Number.isInteger(shardIndex) || shardIndex < 0 || shardIndex >= 36 ** SHARD_DIGITS) throw new Error(`signup shard index ${shardIndex} out of range`);
  let id = `s${BASE36[Math.floor(shardIndex / 36)]}${BASE36[shardIndex % 36]}`;
  while (id.length < 20) {
    for (const byte of crypto.getRandomValues(new Uint8Array(32))) {
      // 252 = 7 × 36: rejecting the rest keeps every character equally likely.
      if (byte < 252 && id.length < 20) id += BASE36[byte % 36];
    }
  }
  return id;
}

/** The shard that admitted a self-serve tenant, from its id; null for an id signup did not make. */
export function signupShardOfTenant(tenantId: string): number | null {
  const match = /^s([a-z0-9])([a-z0-9])[a-z0-9]{17}$/.exec(tenantId);
  if (!match) return null;
  return BASE36.indexOf(match[1]!) * 36 + BASE36.indexOf(match[2]!);
}

/** The SignupShard object with this index. */
export function signupShardAt(env: Env, index: number): DurableObjectStub<SignupShard> {
  return env.SIGNUP_SHARD.get(env.SIGNUP_SHARD.idFromName(`signup-${index}`));
}

/** Which of the shards counts this IP. */
export function signupShardIndex(ip: string, shards: number = SIGNUP_SHARDS): number {
  return fnv1a(ip) % shards;
}

export function signupShardFor(env: Env, ip: string, shards: number = SIGNUP_SHARDS): DurableObjectStub<SignupShard> {
  return signupShardAt(env, signupShardIndex(ip, shards));
}
