import { and, eq, isNull, like, lt, sql } from 'drizzle-orm';
import { apiKeys, jobSlots, tenant, tenantUsage } from '../../schema/gateway.js';
import { JOB_SLOT_TTL_MS, type TierLimits } from '../limits.js';
import { resolveSize, type ImageSize, type Quality } from '../../protocol/images.js';
import { constantTimeEqual } from '../../protocol/signature.js';
import type { Tier } from '../../protocol/tiers.js';
import type { Env } from '../env.js';
import { SqliteObject } from './migrate.js';
import { signupShardAt, signupShardOfTenant } from './signup-shard.js';
import { peekBucket, perMinute, returnToBucket, sqlBuckets, takeBucket, type BucketReading, type BucketSpec, type BucketState, type BucketStore } from './token-bucket.js';

export interface VerifiedKey {
  tenantId: string;
  tier: Tier;
  keyId: string;
}

export interface TenantSummary {
  id: string;
  tier: Tier;
  /** Limits an admin set for this tenant alone, over its tier's. */
  limitsOverride: Partial<TierLimits> | null;
  keys: { id: string; name: string; createdAt: number; lastUsedAt: number | null; revokedAt: number | null }[];
}

/** Writing last-used on every request would make auth a write path; once a minute is enough. */
const LAST_USED_RESOLUTION_MS = 60_000;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Per-minute usage rows are kept this long, per-day rows for 90 days. */
const MINUTE_USAGE_KEPT_MS = DAY_MS;
const DAY_USAGE_KEPT_MS = 90 * DAY_MS;
/**
 * Bucket levels and usage counts are kept in memory and written at most this
 * often: the hot path then never waits on a storage commit. If the object is
 * evicted or crashes in between, at most this much is forgotten (a bucket
 * errs towards the tokens it had at the last write).
 */
const FLUSH_MS = 1_000;
/** What a 429 for a full set of concurrency slots suggests waiting: jobs end at unknown times. */
const CONCURRENCY_RETRY_MS = 2_000;

/** Both buckets of a tenant after a call, for the x-ratelimit-* and RateLimit headers. */
export interface RateSnapshot {
  requests: BucketReading;
  images: BucketReading;
}

/** The read bucket after a call, for the x-ratelimit-*-reads and RateLimit headers of read routes. */
export interface ReadSnapshot {
  reads: BucketReading;
}

/** `granted`: tokens taken, at least 1; those beyond the first are the caller's allowance. */
export type ReadDecision = { ok: true; rate: ReadSnapshot; granted: number } | { ok: false; kind: 'reads'; message: string; retryAfterMs: number; rate: ReadSnapshot };

export type RequestDecision = { ok: true; rate: RateSnapshot; granted: number } | { ok: false; kind: 'requests'; message: string; retryAfterMs: number; rate: RateSnapshot };

/** What a busy isolate asks of a bucket: `want` tokens at once, after returning `giveBack` its last allowance left unspent. */
export interface AllowanceAsk {
  want: number;
  giveBack: number;
}

const NO_ALLOWANCE: AllowanceAsk = { want: 1, giveBack: 0 };
/** The most tokens one call hands out. */
export const MAX_ALLOWANCE = 64;
/** The most of a bucket's capacity one call hands out. */
const ALLOWANCE_SHARE = 0.1;

export interface GenerationAsk {
  n: number;
  /** `auto` is checked as AUTO_SIZE (protocol/images.ts), which is what it renders at. */
  size: ImageSize | 'auto';
  quality: Quality;
  /** The concurrency slot's key: the job id, so the queue can free it when the job ends. */
  jobId: string;
  /** Take the request's token from the request bucket too, first (the rateLimit() middleware left it to this call). */
  takeRequestToken?: boolean;
}

export type GenerationDecision =
  | { ok: true; rate: RateSnapshot; limits: TierLimits }
  | { ok: false; kind: 'invalid'; message: string; param: 'n' | 'size' | 'quality'; rate: RateSnapshot }
  | { ok: false; kind: 'images' | 'concurrent'; message: string; retryAfterMs: number; rate: RateSnapshot }
  | Extract<RequestDecision, { ok: false }>;

export interface UsageWindow {
  /** Start of the window, epoch ms. */
  start: number;
  requests: number;
  images: number;
  throttled: number;
}

export interface TenantUsageReport {
  tenantId: string;
  tier: Tier;
  limits: TierLimits;
  rate: RateSnapshot;
  concurrentJobs: number;
  /** The last 60 minutes that saw traffic, oldest first. */
  perMinute: UsageWindow[];
  /** The last 30 days that saw traffic, oldest first. */
  perDay: UsageWindow[];
}

type TenantRow = typeof tenant.$inferSelect;

/** One object per tenant (named by tenant id): its tier and its API key hashes. */
export class Tenant extends SqliteObject {
  /** Set when adopting this tenant's signup failed; verify and configure try again before they read the row. */
  #adoptionFailed = false;

  protected override async onReady(): Promise<void> {
    await this.#adoptSignup();
  }

  /**
   * A self-serve tenant's object starts empty: its signup waits in the
   * SignupShard that admitted it, which its id names (signupTenantId). This
   * writes the tenant row and the first key from it, once. A failure is kept
   * and retried by the next verify or configure: the row must never be
   * created without the key, or the key would never work.
   */
  async #adoptSignup(): Promise<void> {
    this.#adoptionFailed = false;
    const tenantId = this.ctx.id.name;
    const shard = tenantId === undefined ? null : signupShardOfTenant(tenantId);
    if (tenantId === undefined || shard === null || this.#tenantRow()) return;
    try {
      const signup = await signupShardAt(this.env, shard).adoptSignup(tenantId);
      // Another call may have adopted it while this one waited.
      if (!signup || this.#tenantRow()) return;
      this.db
        .insert(tenant)
        .values({ id: tenantId, tier: 'free', createdAt: signup.createdAt, updatedAt: Date.now(), email: signup.email, name: signup.name })
        .run();
      this.db.insert(apiKeys).values({ id: signup.keyId, name: 'signup', secretHash: signup.secretHash, createdAt: signup.createdAt }).onConflictDoNothing().run();
      this.#row = undefined;
    } catch (error) {
      this.#adoptionFailed = true;
      console.error(JSON.stringify({ level: 'error', message: 'signup adoption failed; retried at the next use', tenantId, error: String(error) }));
    }
  }

  /**
   * Creates the tenant or changes its tier. Null while a signup this object
   * must adopt first still cannot be (its shard unreachable twice): writing
   * the row without the signup's key would leave that key never working.
   */
  async configure(tenantId: string, tier: Tier): Promise<TenantSummary | null> {
    if (this.#adoptionFailed) await this.#adoptSignup();
    if (this.#adoptionFailed) return null;
    const now = Date.now();
    this.#row = undefined;
    this.db
      .insert(tenant)
      .values({ id: tenantId, tier, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({ target: tenant.id, set: { tier, updatedAt: now } })
      .run();
    return this.#summaryOf(this.#requireRow());
  }

  /** Sets (or with null clears) limits for this tenant alone, over its tier's. */
  async setLimitsOverride(override: Partial<TierLimits> | null): Promise<TenantSummary | null> {
    if (!this.#tenantRow()) return null;
    const value = override && Object.keys(override).length > 0 ? JSON.stringify(override) : null;
    this.db.update(tenant).set({ limitsOverride: value, updatedAt: Date.now() }).run();
    this.#row = undefined;
    return this.#summaryOf(this.#requireRow());
  }

  /**
   * Takes one token from the request bucket. Everything from reading the
   * bucket to writing it back is synchronous, so concurrent calls cannot
   * interleave and admissions never exceed the bucket. `allowance` lets a busy
   * isolate take more than one token ahead (see takeWithAllowance).
   */
  async takeRequest(tiers: Record<Tier, TierLimits>, allowance?: AllowanceAsk): Promise<RequestDecision> {
    return this.#takeRequest(tiers, Date.now(), allowance);
  }

  #takeRequest(tiers: Record<Tier, TierLimits>, now: number, allowance: AllowanceAsk = NO_ALLOWANCE): RequestDecision {
    const limits = this.#limits(tiers);
    const taken = this.#takeWithAllowance('requests', perMinute(limits.requestsPerMinute), allowance, now);
    const rate = { requests: taken.reading, images: peekBucket(this.#buckets, 'images', perMinute(limits.imagesPerMinute), now) };
    if (taken.granted > 0) return { ok: true, rate, granted: taken.granted };
    return {
      ok: false,
      kind: 'requests',
      message: `Rate limit reached: ${limits.requestsPerMinute} requests per minute on this key's plan. Retry after the time in Retry-After, or ask for a higher limit.`,
      retryAfterMs: taken.reading.waitMs,
      rate,
    };
  }

  /**
   * Takes one token from the read bucket (job views, events, result files,
   * cancel), which the request bucket that creates spend never shares.
   * Admitted reads count as requests in usage.
   */
  async takeRead(tiers: Record<Tier, TierLimits>, allowance: AllowanceAsk = NO_ALLOWANCE): Promise<ReadDecision> {
    const now = Date.now();
    const limits = this.#limits(tiers);
    const taken = this.#takeWithAllowance('reads', perMinute(limits.readsPerMinute), allowance, now);
    const reads = taken.reading;
    if (taken.granted > 0) return { ok: true, rate: { reads }, granted: taken.granted };
    return {
      ok: false,
      kind: 'reads',
      message: `Rate limit reached: ${limits.readsPerMinute} reads (job views, events, result files) per minute on this key's plan. Retry after the time in Retry-After, or use Prefer: wait=N to poll less often.`,
      retryAfterMs: reads.waitMs,
      rate: { reads },
    };
  }

  /**
   * Takes one token, and for a busy isolate up to `want - 1` more that it may
   * spend on its own (an allowance), after putting back what its last
   * allowance left unspent. Never more than ALLOWANCE_SHARE of the bucket's
   * capacity goes out at once, and none from the bucket's second half, so an
   * isolate cannot hold what others need and a bucket running low is decided
   * here, request by request. Granted tokens count as requests.
   */
  #takeWithAllowance(bucket: 'requests' | 'reads', spec: BucketSpec, { want, giveBack }: AllowanceAsk, now: number): { granted: number; reading: BucketReading } {
    const unspent = Math.max(0, Math.min(spec.capacity, Math.floor(giveBack)));
    if (unspent > 0) {
      returnToBucket(this.#buckets, bucket, spec, unspent, now);
      this.#count(now, { requests: -unspent });
    }
    const first = takeBucket(this.#buckets, bucket, spec, 1, now);
    if (!first.ok) {
      this.#count(now, { throttled: 1 });
      return { granted: 0, reading: first };
    }
    const extra = Math.min(Math.floor(want) - 1, MAX_ALLOWANCE - 1, Math.floor(spec.capacity * ALLOWANCE_SHARE), Math.floor(first.remaining - spec.capacity / 2));
    const more = extra > 0 ? takeBucket(this.#buckets, bucket, spec, extra, now) : null;
    const granted = 1 + (more?.ok ? extra : 0);
    this.#count(now, { requests: granted });
    return { granted, reading: more?.ok ? more : first };
  }

  /**
   * Admits one generation: with `takeRequestToken`, first the request token
   * (spent even if what follows refuses, as a request is); then checks what
   * the tier allows (n, size, quality), then takes a concurrency slot and `n`
   * image tokens together, or neither. One call for the whole admission.
   */
  async admitGeneration(tiers: Record<Tier, TierLimits>, ask: GenerationAsk): Promise<GenerationDecision> {
    const now = Date.now();
    const row = this.#requireRow();
    if (ask.takeRequestToken) {
      const request = this.#takeRequest(tiers, now);
      if (!request.ok) return request;
    }
    const limits = this.#limits(tiers);
    const imageSpec = perMinute(limits.imagesPerMinute);
    const snapshot = (): RateSnapshot => ({
      requests: peekBucket(this.#buckets, 'requests', perMinute(limits.requestsPerMinute), now),
      images: peekBucket(this.#buckets, 'images', imageSpec, now, ask.n),
    });
    const size = resolveSize(ask.size);
    const invalid = (param: 'n' | 'size' | 'quality', message: string): GenerationDecision => ({ ok: false, kind: 'invalid', param, message, rate: snapshot() });
    const maxN = Math.min(limits.maxN, limits.imagesPerMinute);
    if (ask.n > maxN) return invalid('n', `The ${row.tier} plan allows at most ${maxN} image${maxN === 1 ? '' : 's'} per request; send n ≤ ${maxN}.`);
    if (!limits.sizes.includes(size)) {
      return invalid('size', `Size ${ask.size} is not available on the ${row.tier} plan right now. Use one of: ${limits.sizes.join(', ')}.`);
    }
    if (!limits.qualities.includes(ask.quality)) {
      return invalid('quality', `Quality '${ask.quality}' is not available on the ${row.tier} plan right now. Use one of: ${limits.qualities.join(', ')}.`);
    }

    const slots = this.#liveSlots(now);
    if (slots.has(ask.jobId)) {
      // The same job asking twice (a retried call) holds its slot already.
      return { ok: true, rate: snapshot(), limits };
    }
    if (slots.size >= limits.concurrentJobs) {
      this.#count(now, { throttled: 1 });
      return {
        ok: false,
        kind: 'concurrent',
        message: `Too many generations in progress: the ${row.tier} plan runs ${limits.concurrentJobs} at a time. Wait for one to finish, then retry.`,
        retryAfterMs: CONCURRENCY_RETRY_MS,
        rate: snapshot(),
      };
    }
    const taken = takeBucket(this.#buckets, 'images', imageSpec, ask.n, now);
    if (!taken.ok) {
      this.#count(now, { throttled: 1 });
      return {
        ok: false,
        kind: 'images',
        message: `Rate limit reached: ${limits.imagesPerMinute} images per minute on the ${row.tier} plan, and this request asks for ${ask.n}. Retry after the time in Retry-After.`,
        retryAfterMs: taken.waitMs,
        rate: snapshot(),
      };
    }
    this.db.insert(jobSlots).values({ jobId: ask.jobId, acquiredAt: now }).run();
    slots.set(ask.jobId, now);
    this.#count(now, { images: ask.n });
    return { ok: true, rate: snapshot(), limits };
  }

  /** Frees a job's concurrency slot. Idempotent: the request path and the queue may both call it. */
  async releaseSlot(jobId: string): Promise<boolean> {
    this.#slots?.delete(jobId);
    return this.db.delete(jobSlots).where(eq(jobSlots.jobId, jobId)).returning({ jobId: jobSlots.jobId }).all().length > 0;
  }

  /**
   * Undoes an admission whose job was never created (it lost a race to an
   * identical idempotent request): frees the slot and returns its tokens, so
   * the tenant is charged for one job, not two.
   */
  async refundAdmission(tiers: Record<Tier, TierLimits>, jobId: string, refund: { requests: number; images: number }): Promise<RateSnapshot> {
    const now = Date.now();
    const limits = this.#limits(tiers);
    this.#slots?.delete(jobId);
    this.db.delete(jobSlots).where(eq(jobSlots.jobId, jobId)).run();
    const requests = returnToBucket(this.#buckets, 'requests', perMinute(limits.requestsPerMinute), refund.requests, now);
    const images = returnToBucket(this.#buckets, 'images', perMinute(limits.imagesPerMinute), refund.images, now);
    this.#count(now, { requests: -refund.requests, images: -refund.images });
    return { requests, images };
  }

  /** Null when this object holds no tenant. */
  async usage(tiers: Record<Tier, TierLimits>): Promise<TenantUsageReport | null> {
    const now = Date.now();
    const row = this.#tenantRow();
    if (!row) return null;
    this.#flush();
    const limits = this.#limits(tiers);
    const windows = (prefix: 'm' | 'd', size: number, count: number): UsageWindow[] => {
      const from = Math.floor(now / size) - count + 1;
      return this.db
        .select()
        .from(tenantUsage)
        .where(like(tenantUsage.window, `${prefix}:%`))
        .all()
        .map((usage) => ({ index: Number(usage.window.slice(2)), usage }))
        .filter(({ index }) => index >= from)
        .sort((a, b) => a.index - b.index)
        .map(({ index, usage }) => ({ start: index * size, requests: usage.requests, images: usage.images, throttled: usage.throttled }));
    };
    return {
      tenantId: row.id,
      tier: row.tier,
      limits,
      rate: {
        requests: peekBucket(this.#buckets, 'requests', perMinute(limits.requestsPerMinute), now),
        images: peekBucket(this.#buckets, 'images', perMinute(limits.imagesPerMinute), now),
      },
      concurrentJobs: this.#liveSlots(now).size,
      perMinute: windows('m', MINUTE_MS, 60),
      perDay: windows('d', DAY_MS, 30),
    };
  }

  /** Stores a key by the hash of its secret. Re-adding the same hash is a no-op, which makes seeding idempotent. */
  async addKey(keyId: string, name: string, secretHash: string): Promise<void> {
    if (!this.#tenantRow()) throw new Error('tenant does not exist');
    this.db
      .insert(apiKeys)
      .values({ id: keyId, name, secretHash, createdAt: Date.now() })
      .onConflictDoNothing()
      .run();
  }

  async revokeKey(keyId: string): Promise<boolean> {
    const revoked = this.db
      .update(apiKeys)
      .set({ revokedAt: Date.now() })
      .where(and(eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id })
      .all();
    return revoked.length > 0;
  }

  /** Checks a secret's hash against every live key in constant time per key. */
  async verify(secretHash: string): Promise<VerifiedKey | null> {
    if (this.#adoptionFailed) await this.#adoptSignup();
    const row = this.#tenantRow();
    if (!row) return null;
    const live = this.db.select().from(apiKeys).where(isNull(apiKeys.revokedAt)).all();
    let match: (typeof live)[number] | undefined;
    for (const key of live) if (constantTimeEqual(key.secretHash, secretHash)) match = key;
    if (!match) return null;
    const now = Date.now();
    if (!match.lastUsedAt || now - match.lastUsedAt > LAST_USED_RESOLUTION_MS) {
      this.db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, match.id)).run();
    }
    return { tenantId: row.id, tier: row.tier, keyId: match.id };
  }

  /** The tenant and its keys; null when there is no such tenant (an answer, not a failure: RPC would log a throw as uncaught). */
  async describe(): Promise<TenantSummary | null> {
    const row = this.#tenantRow();
    return row ? this.#summaryOf(row) : null;
  }

  #summaryOf(row: TenantRow): TenantSummary {
    const keys = this.db
      .select({ id: apiKeys.id, name: apiKeys.name, createdAt: apiKeys.createdAt, lastUsedAt: apiKeys.lastUsedAt, revokedAt: apiKeys.revokedAt })
      .from(apiKeys)
      .all();
    return { id: row.id, tier: row.tier, limitsOverride: row.limitsOverride ? (JSON.parse(row.limitsOverride) as Partial<TierLimits>) : null, keys };
  }

  /** Memoized: this object is the row's only writer, and every write clears the memo. */
  #row: TenantRow | undefined;
  #lastPrunedMinute = 0;

  #tenantRow(): TenantRow | undefined {
    this.#row ??= this.db.select().from(tenant).get();
    return this.#row;
  }

  #requireRow(): TenantRow {
    const row = this.#tenantRow();
    if (!row) throw new Error('tenant does not exist');
    return row;
  }

  /** The tier's live limits with this tenant's override on top. */
  #limits(tiers: Record<Tier, TierLimits>): TierLimits {
    const row = this.#requireRow();
    const override = row.limitsOverride ? (JSON.parse(row.limitsOverride) as Partial<TierLimits>) : {};
    return { ...tiers[row.tier], ...override };
  }

  /**
   * Concurrency slots held, by job id, with when each was taken: read from
   * SQLite once, then kept in memory with every change written through (a
   * slot must outlive the object). Oldest first, as taken, so slots past
   * JOB_SLOT_TTL_MS are dropped from the front.
   */
  #slots: Map<string, number> | undefined;

  #liveSlots(now: number): Map<string, number> {
    if (!this.#slots) {
      const rows = this.db.select().from(jobSlots).orderBy(jobSlots.acquiredAt).all();
      this.#slots = new Map(rows.map((row) => [row.jobId, row.acquiredAt]));
    }
    let expired = false;
    for (const [jobId, acquiredAt] of this.#slots) {
      if (acquiredAt >= now - JOB_SLOT_TTL_MS) break;
      this.#slots.delete(jobId);
      expired = true;
    }
    if (expired) this.db.delete(jobSlots).where(lt(jobSlots.acquiredAt, now - JOB_SLOT_TTL_MS)).run();
    return this.#slots;
  }

  readonly #bucketStates = new Map<string, BucketState | null>();
  readonly #dirtyBuckets = new Set<string>();
  readonly #usageDeltas = new Map<string, { requests: number; images: number; throttled: number }>();
  #flushTimer: ReturnType<typeof setTimeout> | undefined;

  /** The request, read and image buckets: read from SQLite once, then kept in memory and written behind. */
  readonly #buckets: BucketStore = {
    read: (name) => {
      if (!this.#bucketStates.has(name)) this.#bucketStates.set(name, sqlBuckets(this.db).read(name) ?? null);
      return this.#bucketStates.get(name) ?? undefined;
    },
    write: (name, state) => {
      this.#bucketStates.set(name, state);
      this.#dirtyBuckets.add(name);
      this.#scheduleFlush();
    },
  };

  /** Adds to this minute's and this day's counters (in memory until the next flush). */
  #count(now: number, delta: { requests?: number; images?: number; throttled?: number }): void {
    for (const window of [`m:${Math.floor(now / MINUTE_MS)}`, `d:${Math.floor(now / DAY_MS)}`]) {
      const sum = this.#usageDeltas.get(window) ?? { requests: 0, images: 0, throttled: 0 };
      sum.requests += delta.requests ?? 0;
      sum.images += delta.images ?? 0;
      sum.throttled += delta.throttled ?? 0;
      this.#usageDeltas.set(window, sum);
    }
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    this.#flushTimer ??= setTimeout(() => {
      this.#flushTimer = undefined;
      try {
        this.#flush();
      } catch (error) {
        console.error(JSON.stringify({ level: 'error', message: 'tenant flush failed', error: String(error) }));
      }
    }, FLUSH_MS);
  }

  /** Writes dirty buckets and usage counts in one go (no await in between, so they commit together); prunes old windows once a minute. */
  #flush(): void {
    const store = sqlBuckets(this.db);
    for (const name of this.#dirtyBuckets) {
      const state = this.#bucketStates.get(name);
      if (state) store.write(name, state);
    }
    this.#dirtyBuckets.clear();
    for (const [window, add] of this.#usageDeltas) {
      this.db
        .insert(tenantUsage)
        .values({ window, ...add })
        .onConflictDoUpdate({
          target: tenantUsage.window,
          set: {
            requests: sql`${tenantUsage.requests} + ${add.requests}`,
            images: sql`${tenantUsage.images} + ${add.images}`,
            throttled: sql`${tenantUsage.throttled} + ${add.throttled}`,
          },
        })
        .run();
    }
    this.#usageDeltas.clear();
    const now = Date.now();
    const minute = Math.floor(now / MINUTE_MS);
    if (minute !== this.#lastPrunedMinute) {
      this.#lastPrunedMinute = minute;
      const oldMinute = Math.floor((now - MINUTE_USAGE_KEPT_MS) / MINUTE_MS);
      const oldDay = Math.floor((now - DAY_USAGE_KEPT_MS) / DAY_MS);
      for (const usage of this.db.select({ window: tenantUsage.window }).from(tenantUsage).all()) {
        const index = Number(usage.window.slice(2));
        if (usage.window.startsWith('m:') ? index < oldMinute : index < oldDay) {
          this.db.delete(tenantUsage).where(eq(tenantUsage.window, usage.window)).run();
        }
      }
    }
  }
}

/** The tenant's object: its id routes there directly, with no lookup table. */
export function tenantStub(env: Pick<Env, 'TENANT'>, tenantId: string): DurableObjectStub<Tenant> {
  return env.TENANT.get(env.TENANT.idFromName(tenantId));
}
