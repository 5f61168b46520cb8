// The live tier limits as an isolate sees them, and the rate-limit headers
// that report a tenant's buckets. Shared by the rateLimit() middleware, job
// admission (jobs/slots.ts), signup and the admin API.
import type { Env } from './env.js';
import { DEFAULT_SIGNUP_LIMITS, DEFAULT_TIER_LIMITS, SURGE_PROFILE, TIER_CONFIG_CACHE_MS, type TierLimits } from './limits.js';
import type { RateSnapshot, ReadSnapshot } from './objects/tenant.js';
import { tierConfigStub, type TierConfigSnapshot } from './objects/tier-config.js';
import type { BucketReading } from './objects/token-bucket.js';
import type { Tier } from '../protocol/tiers.js';

// ---------------------------------------------------------------------------
// Live tier limits, cached per isolate. The TierConfig object is read at most
// once per isolate every `ttlMs` (and by one request at a time), so it is
// never on the hot path; an admin change reaches every isolate within ttlMs.

let cached: { snapshot: TierConfigSnapshot; fetchedAt: number } | undefined;
let refreshing = false;

function defaultSnapshot(): TierConfigSnapshot {
  const base = structuredClone(DEFAULT_TIER_LIMITS) as Record<Tier, TierLimits>;
  return { version: 0, surge: false, surgeMode: 'auto', tiers: base, base, surgeProfile: { ...SURGE_PROFILE }, signup: { ...DEFAULT_SIGNUP_LIMITS } };
}

/**
 * The live tier limits, surge and signup rate, at most `ttlMs` old (plus one
 * read while another request refreshes them). No read is shared between
 * requests: on Workers a request must not await another request's I/O (its
 * continuation would run in the other request's context, and its next call
 * fails with "Cannot perform I/O on behalf of a different request"). So while
 * one request refreshes, the others use the copy it is replacing; only an
 * isolate with no copy at all has each request read for itself.
 */
export async function liveTierConfig(env: Env, ttlMs: number = TIER_CONFIG_CACHE_MS): Promise<TierConfigSnapshot> {
  const current = cached;
  if (current && (Date.now() - current.fetchedAt < ttlMs || refreshing)) return current.snapshot;
  refreshing = true;
  try {
    const snapshot = await tierConfigStub(env).snapshot();
    rememberTierConfig(snapshot);
    return snapshot;
  } catch (error) {
    // Keep serving with what we knew (or the defaults) rather than failing every request.
    console.error(JSON.stringify({ level: 'error', message: 'tier config refresh failed', error: String(error) }));
    const fallback = cached?.snapshot ?? defaultSnapshot();
    cached = { snapshot: fallback, fetchedAt: Date.now() };
    return fallback;
  } finally {
    refreshing = false;
  }
}

/** Puts a snapshot an admin call just wrote into this isolate's cache, so the isolate that made a change sees it at once. */
export function rememberTierConfig(snapshot: TierConfigSnapshot): void {
  if (!cached || snapshot.version >= cached.snapshot.version) cached = { snapshot, fetchedAt: Date.now() };
}

// ---------------------------------------------------------------------------
// Headers

/** OpenAI's duration style for x-ratelimit-reset-*: `17ms`, `1.5s`, `6m0s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '1h0m0s';
  if (ms < 1_000) return `${Math.ceil(ms)}ms`;
  const seconds = Math.round(ms / 100) / 10;
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${Math.round(seconds - minutes * 60)}s`;
}

/** Seconds until the next unit is available (0 while some remain), for the IETF `t` parameter. */
function untilNext(bucket: BucketReading): number {
  if (bucket.remaining > 0) return 0;
  const ms = Number.isFinite(bucket.waitMs) ? bucket.waitMs : bucket.resetMs;
  return Number.isFinite(ms) ? Math.ceil(ms / 1000) : 60;
}

/**
 * x-ratelimit-{limit,remaining,reset}-{requests,images} (OpenAI) plus the IETF
 * draft's RateLimit-Policy and RateLimit fields (draft-ietf-httpapi-ratelimit-headers),
 * both for per-minute buckets (w=60).
 */
export function rateLimitHeaders(rate: RateSnapshot): Record<string, string> {
  const { requests, images } = rate;
  return {
    'x-ratelimit-limit-requests': String(requests.capacity),
    'x-ratelimit-remaining-requests': String(requests.remaining),
    'x-ratelimit-reset-requests': formatDuration(requests.resetMs),
    'x-ratelimit-limit-images': String(images.capacity),
    'x-ratelimit-remaining-images': String(images.remaining),
    'x-ratelimit-reset-images': formatDuration(images.resetMs),
    'ratelimit-policy': `"requests";q=${requests.capacity};w=60, "images";q=${images.capacity};w=60`,
    ratelimit: `"requests";r=${requests.remaining};t=${untilNext(requests)}, "images";r=${images.remaining};t=${untilNext(images)}`,
  };
}

/** x-ratelimit-{limit,remaining,reset}-reads and the IETF fields with a `"reads"` policy, for the read routes. */
export function readRateLimitHeaders({ reads }: ReadSnapshot): Record<string, string> {
  return {
    'x-ratelimit-limit-reads': String(reads.capacity),
    'x-ratelimit-remaining-reads': String(reads.remaining),
    'x-ratelimit-reset-reads': formatDuration(reads.resetMs),
    'ratelimit-policy': `"reads";q=${reads.capacity};w=60`,
    ratelimit: `"reads";r=${reads.remaining};t=${untilNext(reads)}`,
  };
}
