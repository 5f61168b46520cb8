import type { MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv, AuthenticatedTenant } from '../env.js';
import { AuthenticationError, RateLimitError } from '../errors.js';
import { MAX_AUTHORIZATION_LENGTH, parseKey } from '../keys.js';
import { AUTH_FAILURES_PER_MINUTE } from '../limits.js';
import { signupShardFor } from '../objects/signup-shard.js';
import { sha256Hex } from '../protocol/signature.js';
import { tenantStub } from '../objects/tenant.js';

export interface ApiKeyAuthOptions {
  /** How long a verified key is trusted in this isolate; also how long a revocation may take to apply. */
  cacheTtlMs?: number;
  /** Entries kept per isolate; the oldest go first. */
  cacheSize?: number;
  /** Failed authentications one IP may make per minute (a window opened by its first failure); past that it gets 429 `auth_throttled` until the window ends. */
  failuresPerMinute?: number;
  /**
   * Also count failures in the IP's SignupShard object, so the limit holds
   * across isolates. It costs one call per failed attempt and none per success.
   */
  shareFailureCounts?: boolean;
}

type CacheEntry = { tenant: AuthenticatedTenant | null; expiresAt: number };
type FailureEntry = { windowStart: number; failures: number; throttledUntil: number };

const MINUTE_MS = 60_000;

/**
 * Authenticates `Authorization: Bearer lk_<tenant>_<secret>` against the
 * tenant's Durable Object, caching the answer per isolate so the hot path
 * costs one hash and one map lookup.
 *
 * Repeated failures from one IP (`cf-connecting-ip`) are throttled: past
 * `failuresPerMinute`, anything that is not an already-verified key is
 * answered 429 `auth_throttled` without reaching a Tenant object.
 */
export const apiKeyAuth = ({
  cacheTtlMs = 30_000,
  cacheSize = 10_000,
  failuresPerMinute = AUTH_FAILURES_PER_MINUTE,
  shareFailureCounts = true,
}: ApiKeyAuthOptions = {}): MiddlewareHandler<AppEnv> => {
  const cache = new Map<string, CacheEntry>();
  const failures = new Map<string, FailureEntry>();

  return createMiddleware<AppEnv>(async function apiKeyAuth(c, next) {
    const ip = c.req.header('cf-connecting-ip') ?? 'unknown';
    const now = Date.now();
    const throttledUntil = failures.get(ip)?.throttledUntil ?? 0;

    const refuse = async (error: AuthenticationError): Promise<never> => {
      if (throttledUntil > now) throw throttled(throttledUntil - now);
      // A window that opens at the IP's first failure: no calendar-minute edge lets 2× the limit through.
      const previous = failures.get(ip);
      const entry: FailureEntry = previous && now - previous.windowStart < MINUTE_MS ? previous : { windowStart: now, failures: 0, throttledUntil: 0 };
      entry.failures++;
      if (entry.failures >= failuresPerMinute) entry.throttledUntil = entry.windowStart + MINUTE_MS;
      failures.delete(ip);
      failures.set(ip, entry);
      if (failures.size > cacheSize) failures.delete(failures.keys().next().value as string);
      if (shareFailureCounts && entry.throttledUntil === 0) {
        try {
          const shared = await signupShardFor(c.env, ip).recordAuthFailure(ip, failuresPerMinute);
          if (shared.throttledForMs > 0) entry.throttledUntil = now + shared.throttledForMs;
        } catch (cause) {
          // The isolate's own count still applies; a shard hiccup must not turn a 401 into a 500.
          console.error(JSON.stringify({ level: 'warn', message: 'auth failure count not shared', error: String(cause) }));
        }
      }
      throw error;
    };

    const header = c.req.header('authorization');
    if (!header) throw new AuthenticationError('Missing API key. Send it as "Authorization: Bearer lk_...".', 'missing_api_key');
    if (header.length > MAX_AUTHORIZATION_LENGTH) return refuse(new AuthenticationError('Incorrect API key provided.'));
    const [scheme, key, extra] = header.trim().split(/\s+/);
    if (scheme?.toLowerCase() !== 'bearer' || !key || extra !== undefined) {
      return refuse(new AuthenticationError('Malformed Authorization header. Use "Authorization: Bearer lk_...".'));
    }
    const parsed = parseKey(key);
    if (!parsed) return refuse(new AuthenticationError('Incorrect API key provided.'));

    const secretHash = await sha256Hex(parsed.secret);
    const cacheKey = `${parsed.tenantId}:${secretHash}`;
    let entry = cache.get(cacheKey);
    if (!entry || entry.expiresAt <= now) {
      // A throttled IP may still use keys this isolate has verified; anything else would need the Tenant object.
      if (throttledUntil > now) throw throttled(throttledUntil - now);
      const stub = tenantStub(c.env, parsed.tenantId);
      const verified = await stub.verify(secretHash);
      entry = { tenant: verified && { id: verified.tenantId, tier: verified.tier, keyId: verified.keyId }, expiresAt: now + cacheTtlMs };
      cache.delete(cacheKey);
      cache.set(cacheKey, entry);
      if (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
    }
    if (!entry.tenant) return refuse(new AuthenticationError('Incorrect API key provided.'));
    c.set('tenant', entry.tenant);
    await next();
  });
};

function throttled(waitMs: number): RateLimitError {
  return new RateLimitError('auth_failures', 'Too many failed authentication attempts from your address. Check the API key, then retry after the time in Retry-After.', waitMs, {}, 'auth_throttled');
}
