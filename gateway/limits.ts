// Every default limit of the gateway, in one place. Admins change tier
// limits, surge mode and the signup rate live through /v1/admin; what is here
// is what a fresh deployment (or a reset) starts from.
import { IMAGE_QUALITIES, IMAGE_SIZES, type ImageSize, type Quality } from '../protocol/images.js';
import type { Tier } from '../protocol/tiers.js';

export interface TierLimits {
  /** Token bucket of requests: holds this many, refills this many per minute. */
  requestsPerMinute: number;
  /**
   * Token bucket of reads (job views, events, result files, cancel): holds this
   * many, refills this many per minute. Separate from requestsPerMinute so
   * polling a job never spends the budget for creating one.
   */
  readsPerMinute: number;
  /** Token bucket of images (`n` counts): holds this many, refills this many per minute. */
  imagesPerMinute: number;
  /** Generation jobs a tenant may have queued or running at once. */
  concurrentJobs: number;
  /** The largest `n` one request may ask for. */
  maxN: number;
  sizes: readonly ImageSize[];
  qualities: readonly Quality[];
}

const ALL_SIZES = IMAGE_SIZES;
const ALL_QUALITIES = IMAGE_QUALITIES;

export const DEFAULT_TIER_LIMITS: Readonly<Record<Tier, TierLimits>> = {
  free: { requestsPerMinute: 20, readsPerMinute: 200, imagesPerMinute: 5, concurrentJobs: 1, maxN: 1, sizes: ['256x256', '512x512', '1024x1024'], qualities: ALL_QUALITIES },
  plus: { requestsPerMinute: 60, readsPerMinute: 600, imagesPerMinute: 30, concurrentJobs: 2, maxN: 4, sizes: ALL_SIZES, qualities: ALL_QUALITIES },
  pro: { requestsPerMinute: 300, readsPerMinute: 3000, imagesPerMinute: 120, concurrentJobs: 8, maxN: 10, sizes: ALL_SIZES, qualities: ALL_QUALITIES },
  // Enterprise contracts differ per tenant: these are the floor, and admins set
  // the rest with PUT /v1/admin/tenants/:id/limits.
  enterprise: { requestsPerMinute: 600, readsPerMinute: 6000, imagesPerMinute: 300, concurrentJobs: 20, maxN: 10, sizes: ALL_SIZES, qualities: ALL_QUALITIES },
};

/**
 * What surge mode (POST /v1/admin/surge) applies to each tier. Surge only ever
 * lowers: each number is the minimum of this and the tier's live limit, each
 * list the intersection.
 */
export const SURGE_PROFILE: Readonly<Partial<Record<Tier, Partial<TierLimits>>>> = {
  free: { requestsPerMinute: 6, imagesPerMinute: 2, concurrentJobs: 1, maxN: 1, sizes: ['256x256', '512x512'], qualities: ['auto', 'low'] },
};

export interface SignupLimits {
  /** Signups one IP may make per hour (a bucket that refills continuously); exact, since one IP maps to one shard. */
  perIpPerHour: number;
  /** Signups per minute across the whole deployment, split evenly over the shards. 0 closes signup. */
  globalPerMinute: number;
}

export const DEFAULT_SIGNUP_LIMITS: Readonly<SignupLimits> = { perIpPerHour: 5, globalPerMinute: 300 };

/**
 * SignupShard objects that signups spread over, by hash of the client IP.
 * Changing it moves IPs between shards (their per-IP counts start afresh), so
 * raise it rarely; each shard takes about globalPerMinute / SIGNUP_SHARDS.
 */
export const SIGNUP_SHARDS = 8;

/** Failed authentications one IP may make per minute before it gets 429 `auth_throttled`. */
export const AUTH_FAILURES_PER_MINUTE = 20;

/**
 * Failed authentications naming one tenant id (from any address) per minute
 * before keys for it that the gateway did not mint get 429 `auth_throttled`.
 * Its real keys are never refused by this count.
 */
export const AUTH_FAILURES_PER_TENANT_PER_MINUTE = 20;

/** How long an isolate trusts its copy of the live tier limits: the propagation delay of an admin change. */
export const TIER_CONFIG_CACHE_MS = 5_000;

/**
 * A concurrency slot whose job never reported a terminal state (a lost
 * release) is reclaimed after this long, so a tenant cannot be locked out for good.
 */
export const JOB_SLOT_TTL_MS = 30 * 60_000;

/** Applies surge (lowering only) to one tier's limits. */
export function applySurge(limits: TierLimits, surge: Partial<TierLimits> | undefined): TierLimits {
  if (!surge) return limits;
  return {
    requestsPerMinute: Math.min(limits.requestsPerMinute, surge.requestsPerMinute ?? Infinity),
    readsPerMinute: Math.min(limits.readsPerMinute, surge.readsPerMinute ?? Infinity),
    imagesPerMinute: Math.min(limits.imagesPerMinute, surge.imagesPerMinute ?? Infinity),
    concurrentJobs: Math.min(limits.concurrentJobs, surge.concurrentJobs ?? Infinity),
    maxN: Math.min(limits.maxN, surge.maxN ?? Infinity),
    sizes: surge.sizes ? limits.sizes.filter((size) => surge.sizes!.includes(size)) : limits.sizes,
    qualities: surge.qualities ? limits.qualities.filter((quality) => surge.qualities!.includes(quality)) : limits.qualities,
  };
}
