import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../env.js';
import { InvalidRequestError, PayloadTooLargeError, RateLimitError } from '../errors.js';
import { formatKey } from '../keys.js';
import { newSecret } from '../../protocol/api-key.js';
import { SIGNUP_SHARDS, TIER_CONFIG_CACHE_MS } from '../limits.js';
import { liveTierConfig } from '../tier-limits.js';
import { signupShardAt, signupShardIndex, signupTenantId } from '../objects/signup-shard.js';
import { sha256Hex } from '../../protocol/signature.js';
import { signupRequestSchema, type SignupResponse } from '../../protocol/public-api.js';

const MAX_SIGNUP_BODY_BYTES = 4 * 1024;
async function readBody(raw: Request): Promise<unknown> {
  const text = await raw.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidRequestError('The request body is not valid JSON.');
  }
}

export interface SignupRoutesOptions {
  /** How long this isolate trusts its copy of the signup limits. */
  configTtlMs?: number;
}

/**
 * Self-serve signup: a free-tier tenant with one key. Guarded per IP and by a
 * global rate, both counted in the IP's SignupShard, so no one object sees
 * every signup. That one call also records the signup: the tenant's own
 * object is created only when its key is first used, and adopts it then.
 */
export const signupRoutes = ({ configTtlMs = TIER_CONFIG_CACHE_MS }: SignupRoutesOptions = {}) => {
  const routes = new Hono<AppEnv>();
  routes.post(
    '/',
    bodyLimit({
      maxSize: MAX_SIGNUP_BODY_BYTES,
      onError: () => {
        throw new PayloadTooLargeError(MAX_SIGNUP_BODY_BYTES);
      },
    }),
    async (c) => {
      const parsed = signupRequestSchema.safeParse(await readBody(c.req.raw));
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const param = issue.path.join('.') || null;
        throw new InvalidRequestError(`Invalid '${param ?? 'body'}': ${issue.message}`, param, 'invalid_value');
      }
      const ip = c.req.header('cf-connecting-ip') ?? 'unknown';
      const { signup } = await liveTierConfig(c.env, configTtlMs);
      const shardIndex = signupShardIndex(ip, SIGNUP_SHARDS);
      const secret = newSecret();
      const secretHash = await sha256Hex(secret);
      const pending = { keyId: `key_${secretHash.slice(0, 16)}`, secretHash, email: parsed.data.email ?? null, name: parsed.data.name ?? null, createdAt: Date.now() };
      // ~88 random bits make a collision practically impossible; the shard refuses one anyway, so retry.
      for (let attempt = 0; attempt < 3; attempt++) {
        const tenant = signupTenantId(shardIndex);
        const decision = await signupShardAt(c.env, shardIndex).trySignup(ip, signup, SIGNUP_SHARDS, { ...pending, tenantId: tenant });
        if (decision.ok) return c.json({ tenant, key: await formatKey(c.env, tenant, secret), tier: 'free' } satisfies SignupResponse, 201);
        if (decision.scope === 'taken') continue;
        const message = {
          ip: `Too many signups from your address (at most ${signup.perIpPerHour} per hour). Retry after the time in Retry-After.`,
          global: 'Signups are busy right now. Retry after the time in Retry-After.',
          closed: 'Signup is closed for the moment. Retry later.',
        }[decision.scope];
        throw new RateLimitError('signups', message, decision.retryAfterMs);
      }
      throw new Error('could not find a free tenant id in 3 attempts');
    },
  );
  return routes;
};

export const signup = signupRoutes();
