import type { Context, MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv, RateLimitState } from '../env.js';
import { RateLimitError } from '../errors.js';
import { TIER_CONFIG_CACHE_MS } from '../limits.js';
import { knownEmpty, noteRequestRefusal, readAllowances, requestAllowances, requestRefusalError } from '../isolate-buckets.js';
import { tenantStub } from '../objects/tenant.js';
import { setResponseHeaders } from '../response-headers.js';
import { liveTierConfig, rateLimitHeaders, readRateLimitHeaders } from '../tier-limits.js';

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
    const now = Date.now();
    if (read(c)) {
      // Reads leave the 'rateLimit' state unset: nothing downstream admits a job.
      let rate = readAllowances.spend(tenant.id, now);
      if (!rate) {
        const ask = readAllowances.ask(tenant.id, now);
        const reads = await tenantStub(c.env, tenant.id).takeRead(tiers, ask).finally(() => readAllowances.settled(tenant.id, ask));
        if (!reads.ok) throw new RateLimitError('reads', reads.message, reads.retryAfterMs, readRateLimitHeaders(reads.rate));
        readAllowances.keep(tenant.id, reads.granted, reads.rate, Date.now());
        rate = reads.rate;
      }
      await next();
      setResponseHeaders(c, readRateLimitHeaders(rate));
      return;
    }
    const known = knownEmpty(tenant.id, now);
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
    } else {
      const held = requestAllowances.spend(tenant.id, now);
      if (held) c.set('rateLimit', { rate: held, tiers });
      else {
        const ask = requestAllowances.ask(tenant.id, now);
        const decision = await tenantStub(c.env, tenant.id).takeRequest(tiers, ask).finally(() => requestAllowances.settled(tenant.id, ask));
        c.set('rateLimit', { rate: decision.rate, tiers });
        if (!decision.ok) {
          noteRequestRefusal(tenant.id, decision);
          throw requestRefusalError(decision, decision.retryAfterMs);
        }
        requestAllowances.keep(tenant.id, decision.granted, decision.rate, Date.now());
      }
      await next();
    }
    const state: RateLimitState | undefined = c.get('rateLimit');
    if (state) setResponseHeaders(c, rateLimitHeaders(state.rate));
  });
