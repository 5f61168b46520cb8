import type { Context, MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv, RateLimitState } from '../env.js';
import { RateLimitError } from '../errors.js';
import { TIER_CONFIG_CACHE_MS } from '../limits.js';
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
// Middleware

export interface RateLimitOptions {
  /** How long an isolate trusts its copy of the live tier limits (the propagation delay of admin changes). */
  configTtlMs?: number;
  /** Requests that take no request token, e.g. an idempotent retry already answered by its first attempt. */
  exempt?: (c: Context<AppEnv>) => boolean;
  /** Requests that take a token from the read bucket instead of the request bucket (job views, events, result files). */
  read?: (c: Context<AppEnv>) => boolean;
}

/**
 * Takes one token from the tenant's request bucket, or for a read its read
 * bucket (in its Tenant object: one call either way), and puts the
 * x-ratelimit-* / RateLimit headers on every response, 429s included.
 * Runs after apiKeyAuth().
 */
export const rateLimit = ({ configTtlMs = TIER_CONFIG_CACHE_MS, exempt = () => false, read = () => false }: RateLimitOptions = {}): MiddlewareHandler<AppEnv> =>
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
    const decision = await tenantStub(c.env, tenant.id).takeRequest(tiers);
    c.set('rateLimit', { rate: decision.rate, tiers });
    if (!decision.ok) throw new RateLimitError('requests', decision.message, decision.retryAfterMs, rateLimitHeaders(decision.rate));
    await next();
    const state: RateLimitState | undefined = c.get('rateLimit');
    if (state) setHeaders(c, rateLimitHeaders(state.rate));
  });
