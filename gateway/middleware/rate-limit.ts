import type { Context, MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv, RateLimitState } from '../env.js';
import { RateLimitError } from '../errors.js';
import { TIER_CONFIG_CACHE_MS } from '../limits.js';
import type { RequestDecision } from '../objects/tenant.js';
import { tenantStub } from '../objects/tenant.js';
import { liveTierConfig, rateLimitHeaders, readRateLimitHeaders } from '../tier-limits.js';

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
// Known-empty request buckets

type RequestRefusal = Extract<RequestDecision, { ok: false }>;

/**
 * Tenants whose request bucket this isolate saw empty, until the next token
 * is due (and for at most TIER_CONFIG_CACHE_MS): their requests are refused
 * here, as their Tenant would refuse them, with no call and before any body
 * is read or any upload decoded. Only an admin raising the limit or an
 * idempotent refund could admit one sooner, and a limit change already takes
 * TIER_CONFIG_CACHE_MS to reach an isolate.
 */
const emptyRequestBuckets = new Map<string, { until: number; tokenDueAt: number; refusal: RequestRefusal }>();
const EMPTY_BUCKETS_KEPT = 10_000;

/** Records a refusal for a request token, from the middleware or from an admission (jobs/slots.ts). */
export function noteRequestRefusal(tenantId: string, refusal: RequestRefusal, now = Date.now()): void {
  emptyRequestBuckets.delete(tenantId);
  emptyRequestBuckets.set(tenantId, { until: now + Math.min(refusal.retryAfterMs, TIER_CONFIG_CACHE_MS), tokenDueAt: now + refusal.retryAfterMs, refusal });
  if (emptyRequestBuckets.size > EMPTY_BUCKETS_KEPT) emptyRequestBuckets.delete(emptyRequestBuckets.keys().next().value as string);
}

/** Forgets one tenant's refusal, or every one, for an admin change to limits made through this isolate (others forget within TIER_CONFIG_CACHE_MS). */
export function forgetRequestRefusal(tenantId?: string): void {
  if (tenantId === undefined) emptyRequestBuckets.clear();
  else emptyRequestBuckets.delete(tenantId);
}

function requestRefusalError(refusal: RequestRefusal, retryAfterMs: number): RateLimitError {
  return new RateLimitError('requests', refusal.message, retryAfterMs, rateLimitHeaders(refusal.rate));
}

function knownEmpty(tenantId: string, now: number): RateLimitError | null {
  const known = emptyRequestBuckets.get(tenantId);
  if (!known) return null;
  if (known.until <= now) {
    emptyRequestBuckets.delete(tenantId);
    return null;
  }
  return requestRefusalError(known.refusal, known.tokenDueAt - now);
}

// ---------------------------------------------------------------------------
// Middleware

export interface RateLimitOptions {
  /** How long an isolate trusts its copy of the live tier limits (the propagation delay of admin changes). */
  configTtlMs?: number;
  /** Requests that take no request token, e.g. an idempotent retry already answered by its first attempt. */
  exempt?: (c: Context<AppEnv>) => boolean;
  /** Requests that take a token from the read bucket instead of the request bucket (job views, events, result files). */
  read?: (c: Context<AppEnv>) => boolean;
  /**
   * Submissions whose admission (jobs/slots.ts) takes the request token in its
   * own Tenant call, so a submission makes one Tenant call, not two. One that
   * ends before admission (a bad body, a refused prompt) takes it afterwards.
   */
  atAdmission?: (c: Context<AppEnv>) => boolean;
}

/**
 * Takes one token from the tenant's request bucket, or for a read its read
 * bucket (in its Tenant object: one call either way), and puts the
 * x-ratelimit-* / RateLimit headers on every response, 429s included.
 * A submission's token is taken by its admission instead (`atAdmission`).
 * Runs after apiKeyAuth().
 */
export const rateLimit = ({ configTtlMs = TIER_CONFIG_CACHE_MS, exempt = () => false, read = () => false, atAdmission = () => false }: RateLimitOptions = {}): MiddlewareHandler<AppEnv> =>
  createMiddleware<AppEnv>(async function rateLimit(c, next) {
    const tenant = c.get('tenant') as AppEnv['Variables']['tenant'] | undefined;
    if (!tenant) throw new Error('rateLimit() must run after apiKeyAuth()');
    // An exempt request touches no bucket, so it has no bucket state to report either.
    if (exempt(c)) return next();
    const { tiers } = await liveTierConfig(c.env, configTtlMs);
    if (read(c)) {
      // Reads leave the 'rateLimit' state unset: nothing downstream admits a job.
      const reads = await tenantStub(c.env, tenant.id).takeRead(tiers);
      if (!reads.ok) throw new RateLimitError('reads', reads.message, reads.retryAfterMs, readRateLimitHeaders(reads.rate));
      await next();
      setHeaders(c, readRateLimitHeaders(reads.rate));
      return;
    }
    const known = knownEmpty(tenant.id, Date.now());
    if (known) throw known;
    if (atAdmission(c)) {
      c.set('requestTokenAtAdmission', { tiers });
      await next();
      if (c.get('requestTokenAtAdmission')) {
        // No admission ran: the request still spends its token. Its answer is already made, so a 429 here only shows in the headers.
        c.set('requestTokenAtAdmission', undefined);
        const late = await tenantStub(c.env, tenant.id).takeRequest(tiers);
        if (!late.ok) noteRequestRefusal(tenant.id, late);
        c.set('rateLimit', { rate: late.rate, tiers });
      }
      const state: RateLimitState | undefined = c.get('rateLimit');
      if (state) setHeaders(c, rateLimitHeaders(state.rate));
      return;
    }
    const decision = await tenantStub(c.env, tenant.id).takeRequest(tiers);
    c.set('rateLimit', { rate: decision.rate, tiers });
    if (!decision.ok) {
      noteRequestRefusal(tenant.id, decision);
      throw requestRefusalError(decision, decision.retryAfterMs);
    }
    await next();
    const state: RateLimitState | undefined = c.get('rateLimit');
    if (state) setHeaders(c, rateLimitHeaders(state.rate));
  });
