import type { MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv, AuthenticatedTenant } from '../env.js';
import { AuthenticationError } from '../errors.js';
import { MAX_AUTHORIZATION_LENGTH, parseKey } from '../keys.js';
import { sha256Hex } from '../protocol/signature.js';

export interface ApiKeyAuthOptions {
  /** How long a verified key is trusted in this isolate; also how long a revocation may take to apply. */
  cacheTtlMs?: number;
  /** Entries kept per isolate; the oldest go first. */
  cacheSize?: number;
}

type CacheEntry = { tenant: AuthenticatedTenant | null; expiresAt: number };

/**
 * Authenticates `Authorization: Bearer lk_<tenant>_<secret>` against the
 * tenant's Durable Object, caching the answer per isolate so the hot path
 * costs one hash and one map lookup.
 */
export const apiKeyAuth = ({ cacheTtlMs = 30_000, cacheSize = 10_000 }: ApiKeyAuthOptions = {}): MiddlewareHandler<AppEnv> => {
  const cache = new Map<string, CacheEntry>();
  return createMiddleware<AppEnv>(async function apiKeyAuth(c, next) {
    const header = c.req.header('authorization');
    if (!header) throw new AuthenticationError('Missing API key. Send it as "Authorization: Bearer lk_...".', 'missing_api_key');
    if (header.length > MAX_AUTHORIZATION_LENGTH) throw new AuthenticationError('Incorrect API key provided.');
    const [scheme, key, extra] = header.trim().split(/\s+/);
    if (scheme?.toLowerCase() !== 'bearer' || !key || extra !== undefined) {
      throw new AuthenticationError('Malformed Authorization header. Use "Authorization: Bearer lk_...".');
    }
    const parsed = parseKey(key);
    if (!parsed) throw new AuthenticationError('Incorrect API key provided.');

    const secretHash = await sha256Hex(parsed.secret);
    const cacheKey = `${parsed.tenantId}:${secretHash}`;
    const now = Date.now();
    let entry = cache.get(cacheKey);
    if (!entry || entry.expiresAt <= now) {
      const stub = c.env.TENANT.get(c.env.TENANT.idFromName(parsed.tenantId));
      const verified = await stub.verify(secretHash);
      entry = { tenant: verified && { id: verified.tenantId, tier: verified.tier, keyId: verified.keyId }, expiresAt: now + cacheTtlMs };
      cache.delete(cacheKey);
      cache.set(cacheKey, entry);
      if (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
    }
    if (!entry.tenant) throw new AuthenticationError('Incorrect API key provided.');
    c.set('tenant', entry.tenant);
    await next();
  });
};
