import type { MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import { setNewest } from '../bounded-map.js';
import { clientAddress, clientAddressSource } from '../client-address.js';
import type { AppEnv, AuthenticatedTenant, Env } from '../env.js';
import { AuthenticationError, RateLimitError } from '../errors.js';
import { hasValidTag, isUntaggedKey, MAX_AUTHORIZATION_LENGTH, parseKey } from '../keys.js';
import { AUTH_FAILURES_PER_MINUTE, AUTH_FAILURES_PER_TENANT_PER_MINUTE } from '../limits.js';
import { signupShardFor } from '../objects/signup-shard.js';
import { sha256Hex } from '../../protocol/signature.js';
import { tenantStub } from '../objects/tenant.js';

export interface ApiKeyAuthOptions {
  /** How long a verified key is trusted in this isolate; also how long a revocation may take to apply. */
  cacheTtlMs?: number;
  /** Entries kept per isolate; the oldest go first. */
  cacheSize?: number;
  /** Failed authentications one client address may make per minute (a window opened by its first failure); past that it gets 429 `auth_throttled` until the window ends. */
  failuresPerMinute?: number;
  /** Failed authentications naming one tenant id, from any address, per minute; past that keys for it that the gateway did not mint get 429. */
  tenantFailuresPerMinute?: number;
  /**
   * Also count failures in SignupShard objects, so the limits hold across
   * isolates. It costs up to two calls per failed attempt and none per success.
   */
  shareFailureCounts?: boolean;
}

type CacheEntry = { tenant: AuthenticatedTenant | null; expiresAt: number };
type FailureEntry = { windowStart: number; failures: number; throttledUntil: number };

const MINUTE_MS = 60_000;
/** The one failure count of every client whose address cannot be trusted (see client-address.ts). */
const UNTRUSTED_PEER = 'untrusted-peer';
/** The tenant id part of anything shaped like a key, valid or not, for the per-tenant count. */
const KEY_TENANT = /^lk_([a-z0-9]{3,32})_/;

/**
 * Authenticates `Authorization: Bearer lk_<tenant>_<secret><tag>`: the tag is
 * checked first (one HMAC, no object), then the secret against the tenant's
 * Durable Object, caching the answer per isolate so the hot path costs one
 * hash and one map lookup. A key without a valid tag never reaches an object.
 *
 * Failures are counted three ways, each in a one-minute window:
 * - per trusted client address: past `failuresPerMinute`, anything that is
 *   not a key already verified in this isolate gets 429 `auth_throttled`;
 * - clients without a trusted address share one count, and
 * - each tenant id has its own count (`tenantFailuresPerMinute`), however
 *   many addresses the failures come from.
 * The last two only ever refuse keys the gateway did not mint (no valid tag):
 * since they are shared by strangers, a flood of wrong keys must not lock out
 * a tenant's real keys, which still go on to the Tenant object.
 */
export const apiKeyAuth = ({
  cacheTtlMs = 30_000,
  cacheSize = 10_000,
  failuresPerMinute = AUTH_FAILURES_PER_MINUTE,
  tenantFailuresPerMinute = AUTH_FAILURES_PER_TENANT_PER_MINUTE,
  shareFailureCounts = true,
}: ApiKeyAuthOptions = {}): MiddlewareHandler<AppEnv> => {
  const cache = new Map<string, CacheEntry>();
  const failures = new Map<string, FailureEntry>();

  const throttledFor = (bucket: string, now: number): number => Math.max(0, (failures.get(bucket)?.throttledUntil ?? 0) - now);

  /** Counts one failure in `bucket`, here and (until this isolate alone has seen enough) in its SignupShard. */
  const countFailure = async (env: Env, bucket: string, limit: number, now: number): Promise<void> => {
    // A window that opens at the first failure: no calendar-minute edge lets 2× the limit through.
    const previous = failures.get(bucket);
    const entry: FailureEntry = previous && now - previous.windowStart < MINUTE_MS ? previous : { windowStart: now, failures: 0, throttledUntil: 0 };
    entry.failures++;
    if (entry.failures >= limit) entry.throttledUntil = entry.windowStart + MINUTE_MS;
    setNewest(failures, bucket, entry, cacheSize);
    if (!shareFailureCounts || entry.throttledUntil !== 0) return;
    try {
      const shared = await signupShardFor(env, bucket).recordAuthFailure(bucket, limit);
      if (shared.throttledForMs > 0) entry.throttledUntil = now + shared.throttledForMs;
    } catch (cause) {
      // The isolate's own count still applies; a shard hiccup must not turn a 401 into a 500.
      console.error(JSON.stringify({ level: 'warn', message: 'auth failure count not shared', error: String(cause) }));
    }
  };

  return createMiddleware<AppEnv>(async function apiKeyAuth(c, next) {
    const address = clientAddress(c.req.raw.headers, clientAddressSource(c.env));
    const peerBucket = address === null ? UNTRUSTED_PEER : `ip:${address}`;
    const now = Date.now();
    // Only a trusted address is the caller's own: throttling it may refuse even real keys.
    const addressThrottledMs = address === null ? 0 : throttledFor(peerBucket, now);

    /**
     * Answers a failed attempt. `minted` says whether the key carried a valid
     * tag: only those may get past a shared (untrusted-peer or tenant) throttle.
     */
    const refuse = async (error: AuthenticationError, tenantId: string | null, minted: boolean): Promise<never> => {
      if (addressThrottledMs > 0) throw throttled(addressThrottledMs);
      if (!minted) {
        const sharedMs = Math.max(address === null ? throttledFor(peerBucket, now) : 0, tenantId === null ? 0 : throttledFor(`tenant:${tenantId}`, now));
        if (sharedMs > 0) throw throttled(sharedMs);
      }
      await Promise.all([
        countFailure(c.env, peerBucket, failuresPerMinute, now),
        tenantId === null ? undefined : countFailure(c.env, `tenant:${tenantId}`, tenantFailuresPerMinute, now),
      ]);
      throw error;
    };

    const header = c.req.header('authorization');
    if (!header) throw new AuthenticationError('Missing API key. Send it as "Authorization: Bearer lk_...".', 'missing_api_key');
    if (header.length > MAX_AUTHORIZATION_LENGTH) return refuse(new AuthenticationError('Incorrect API key provided.'), null, false);
    const [scheme, key, extra] = header.trim().split(/\s+/);
    if (scheme?.toLowerCase() !== 'bearer' || !key || extra !== undefined) {
      return refuse(new AuthenticationError('Malformed Authorization header. Use "Authorization: Bearer lk_...".'), null, false);
    }
    const parsed = parseKey(key);
    if (!parsed) {
      const message = isUntaggedKey(key)
        ? 'This API key has the format used before keys were signed, and is no longer accepted. Ask the operator for a new key.'
        : 'Incorrect API key provided.';
      return refuse(new AuthenticationError(message), KEY_TENANT.exec(key)?.[1] ?? null, false);
    }

    const secretHash = await sha256Hex(parsed.secret);
    const cacheKey = `${parsed.tenantId}:${parsed.tag}:${secretHash}`;
    let entry = cache.get(cacheKey);
    if (!entry || entry.expiresAt <= now) {
      // A throttled address may still use keys this isolate has verified; anything else would need the Tenant object.
      if (addressThrottledMs > 0) throw throttled(addressThrottledMs);
      if (!(await hasValidTag(c.env, parsed))) return refuse(new AuthenticationError('Incorrect API key provided.'), parsed.tenantId, false);
      const verified = await tenantStub(c.env, parsed.tenantId).verify(secretHash);
      entry = { tenant: verified && { id: verified.tenantId, tier: verified.tier, keyId: verified.keyId }, expiresAt: now + cacheTtlMs };
      setNewest(cache, cacheKey, entry, cacheSize);
    }
    if (!entry.tenant) return refuse(new AuthenticationError('Incorrect API key provided.'), parsed.tenantId, true);
    c.set('tenant', entry.tenant);
    await next();
  });
};

function throttled(waitMs: number): RateLimitError {
  return new RateLimitError('auth_failures', 'Too many failed authentication attempts. Check the API key, then retry after the time in Retry-After.', waitMs, {}, 'auth_throttled');
}
