import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../env.js';
import { InvalidRequestError, PayloadTooLargeError, RateLimitError } from '../errors.js';
import { formatKey, TENANT_ID } from '../keys.js';
import { newSecret } from '../../protocol/api-key.js';
import { SIGNUP_SHARDS, TIER_CONFIG_CACHE_MS } from '../limits.js';
import { liveTierConfig } from '../tier-limits.js';
import { signupShardFor } from '../objects/signup-shard.js';
import { sha256Hex } from '../../protocol/signature.js';
import { tenantStub } from '../objects/tenant.js';
import { signupRequestSchema, type SignupResponse } from '../../protocol/public-api.js';

const MAX_SIGNUP_BODY_BYTES = 4 * 1024;
const TENANT_ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `u` + 19 random base-36 characters (~98 bits): unguessable, and always a valid TENANT_ID. */
export function newTenantId(): string {
  let id = 'u';
  while (id.length < 20) {
    for (const byte of crypto.getRandomValues(new Uint8Array(32))) {
      // 252 = 7 × 36: rejecting the rest keeps every character equally likely.
      if (byte < 252 && id.length < 20) id += TENANT_ID_ALPHABET[byte % 36];
    }
  }
  if (!TENANT_ID.test(id)) throw new Error(`generated tenant id ${id} is not a valid tenant id`);
  return id;
}

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
 * global rate, both counted in the IP's SignupShard, so no one object sees every signup.
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
      const decision = await signupShardFor(c.env, ip, SIGNUP_SHARDS).trySignup(ip, signup, SIGNUP_SHARDS);
      if (!decision.ok) {
        const message = {
          ip: `Too many signups from your address (at most ${signup.perIpPerHour} per hour). Retry after the time in Retry-After.`,
          global: 'Signups are busy right now. Retry after the time in Retry-After.',
          closed: 'Signup is closed for the moment. Retry later.',
        }[decision.scope];
        throw new RateLimitError('signups', message, decision.retryAfterMs);
      }

      const secret = newSecret();
      const secretHash = await sha256Hex(secret);
      const keyId = `key_${secretHash.slice(0, 16)}`;
      // ~98 random bits make a collision practically impossible; `create` refuses one anyway, so retry.
      for (let attempt = 0; attempt < 3; attempt++) {
        const tenant = newTenantId();
        const stub = tenantStub(c.env, tenant);
        if (!(await stub.create(tenant, 'free', parsed.data, { id: keyId, name: 'signup', secretHash }))) continue;
        return c.json({ tenant, key: await formatKey(c.env, tenant, secret), tier: 'free' } satisfies SignupResponse, 201);
      }
      throw new Error('could not find a free tenant id in 3 attempts');
    },
  );
  return routes;
};

export const signup = signupRoutes();
