import type { Context, MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv, Env, RateLimitState } from '../env.js';
import { InvalidRequestError, RateLimitError } from '../errors.js';
import { DEFAULT_SIGNUP_LIMITS, DEFAULT_TIER_LIMITS, SURGE_PROFILE, TIER_CONFIG_CACHE_MS, type ImageQuality, type ImageSize, type TierLimits } from '../limits.js';
import { tenantStub, type RateSnapshot } from '../objects/tenant.js';
import { tierConfigStub, type TierConfigSnapshot } from '../objects/tier-config.js';
import type { BucketReading } from '../objects/token-bucket.js';
import type { Tier } from '../tiers.js';

// ---------------------------------------------------------------------------
// Live tier limits, cached per isolate. The TierConfig object is read at most
// once per isolate every `ttlMs` (and by one request at a time), so it is
// never on the hot path; an admin change reaches every isolate within ttlMs.

let cached: { snapshot: TierConfigSnapshot; fetchedAt: number } | undefined;
let inflight: Promise<TierConfigSnapshot> | undefined;

function defaultSnapshot(): TierConfigSnapshot {
  const base = structuredClone(DEFAULT_TIER_LIMITS) as Record<Tier, TierLimits>;
  return { version: 0, surge: false, tiers: base, base, surgeProfile: { ...SURGE_PROFILE }, signup: { ...DEFAULT_SIGNUP_LIMITS } };
}

/** The live tier limits, surge and signup rate, at most `ttlMs` old. */
export async function liveTierConfig(env: Env, ttlMs: number = TIER_CONFIG_CACHE_MS): Promise<TierConfigSnapshot> {
  const now = Date.now();
  if (cached && now - cached.fetchedAt < ttlMs) return cached.snapshot;
  inflight ??= tierConfigStub(env)
    .snapshot()
    .then((snapshot) => {
      rememberTierConfig(snapshot);
      return snapshot;
    })
    .catch((error: unknown) => {
      // Keep serving with what we knew (or the defaults) rather than failing every request.
      console.error(JSON.stringify({ level: 'error', message: 'tier config refresh failed', error: String(error) }));
      const fallback = cached?.snapshot ?? defaultSnapshot();
      cached = { snapshot: fallback, fetchedAt: Date.now() };
      return fallback;
    })
    .finally(() => {
      inflight = undefined;
    });
  return inflight;
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

function setHeaders(c: Context<AppEnv>, headers: Record<string, string>): void {
  try {
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  } catch {
    // Headers of a response passed through from fetch() are immutable; copy it once.
    const copy = new Response(c.res.body, c.res);
    for (const [name, value] of Object.entries(headers)) copy.headers.set(name, value);
    c.res = copy;
  }
}

// ---------------------------------------------------------------------------
// Middleware and admission


export interface RateLimitOptions {
  /** How long an isolate trusts its copy of the live tier limits (the propagation delay of admin changes). */
  configTtlMs?: number;
  /** Requests that take no request token, e.g. an idempotent retry already answered by its first attempt. */
  exempt?: (c: Context<AppEnv>) => boolean;
}

/**
 * Takes one token from the tenant's request bucket (in its Tenant object) and
 * puts the x-ratelimit-* / RateLimit headers on every response, 429s included.
 * Runs after apiKeyAuth().
 */
export const rateLimit = ({ configTtlMs = TIER_CONFIG_CACHE_MS, exempt = () => false }: RateLimitOptions = {}): MiddlewareHandler<AppEnv> =>
  createMiddleware<AppEnv>(async function rateLimit(c, next) {
    const tenant = c.get('tenant') as AppEnv['Variables']['tenant'] | undefined;
    if (!tenant) throw new Error('rateLimit() must run after apiKeyAuth()');
    // An exempt request touches no bucket, so it has no bucket state to report either.
    if (exempt(c)) return next();
    const { tiers } = await liveTierConfig(c.env, configTtlMs);
    const decision = await tenantStub(c.env, tenant.id).takeRequest(tiers);
    c.set('rateLimit', { rate: decision.rate, tiers });
    if (!decision.ok) throw new RateLimitError('requests', decision.message, decision.retryAfterMs, rateLimitHeaders(decision.rate));
    await next();
    const state: RateLimitState | undefined = c.get('rateLimit');
    if (state) setHeaders(c, rateLimitHeaders(state.rate));
  });

export interface Admission {
  /** The concurrency slot's key (the job id when one was given). */
  readonly jobId: string;
  /** Frees the concurrency slot. Idempotent, and harmless after the queue has freed it. */
  release(): Promise<void>;
  /**
   * Frees the slot and gives back the image tokens, and the request token
   * this request took: for an admission whose job turned out to exist already.
   */
  refund(): Promise<void>;
}

/**
 * Admits one generation for the authenticated tenant: 400 (with `param`) when
 * its plan does not allow this n / size / quality, 429 when its concurrency
 * slots or image bucket are exhausted; otherwise it holds a concurrency slot
 * keyed by `jobId` and has taken `n` image tokens. Call after validating the
 * body and before enqueueing; free the slot with `release()` if the job is not
 * enqueued, and from the queue with `releaseJobSlot` when the job ends.
 */
export async function admitGeneration(
  c: Context<AppEnv>,
  n: number,
  size: ImageSize | 'auto',
  quality: ImageQuality,
  jobId: string = `slot_${crypto.randomUUID().replaceAll('-', '')}`,
): Promise<Admission> {
  const tenant = c.get('tenant');
  // Set exactly when the rateLimit() middleware took this request's token.
  const tookRequestToken = c.get('rateLimit') !== undefined;
  const tiers = c.get('rateLimit')?.tiers ?? (await liveTierConfig(c.env)).tiers;
  const stub = tenantStub(c.env, tenant.id);
  const decision = await stub.admitGeneration(tiers, { n, size, quality, jobId });
  c.set('rateLimit', { rate: decision.rate, tiers });
  if (!decision.ok) {
    if (decision.kind === 'invalid') throw new InvalidRequestError(decision.message, decision.param, 'not_allowed_on_plan');
    throw new RateLimitError(decision.kind, decision.message, decision.retryAfterMs, rateLimitHeaders(decision.rate));
  }
  let released: Promise<void> | undefined;
  return {
    jobId,
    release: () => (released ??= stub.releaseSlot(jobId).then(() => undefined)),
    refund: () =>
      (released ??= stub.refundAdmission(tiers, jobId, { requests: tookRequestToken ? 1 : 0, images: n }).then((rate) => {
        c.set('rateLimit', { rate, tiers });
      })),
  };
}

/** Frees a job's concurrency slot; the queue calls it when the job reaches a terminal state. Idempotent. */
export async function releaseJobSlot(env: Env, tenantId: string, jobId: string): Promise<void> {
  await tenantStub(env, tenantId).releaseSlot(jobId);
}
