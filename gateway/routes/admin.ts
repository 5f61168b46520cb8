import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../env.js';
import { InvalidRequestError, NotFoundError } from '../errors.js';
import { formatKey, newSecret, TENANT_ID } from '../keys.js';
import { IMAGE_QUALITIES, IMAGE_SIZES, type TierLimits } from '../limits.js';
import { adminAuth } from '../middleware/admin-auth.js';
import { liveTierConfig, rememberTierConfig } from '../middleware/rate-limit.js';
import { callOriginApi, relay } from '../origin-api.js';
import { tierConfigStub, type TierConfigSnapshot } from '../objects/tier-config.js';
import { sha256Hex } from '../protocol/signature.js';
import { TIERS, type Tier } from '../tiers.js';
import { tenantStub } from '../objects/tenant.js';

const tenantBody = z.object({ tier: z.enum(TIERS) }).strict();
const keyBody = z
  .object({
    name: z.string().min(1).max(64).default('default'),
    /** Lets tooling (the dev seed) install a key it generated; omitted, the gateway makes one. */
    secret: z.string().regex(/^[A-Za-z0-9]{32}$/, 'secret must be 32 letters or digits').optional(),
  })
  .strict();

const count = z.number().int().min(0).max(1_000_000_000);
/** Every field optional: a PUT changes what it names and keeps the rest. */
const limitsPatch = z
  .object({
    requestsPerMinute: count,
    imagesPerMinute: count,
    concurrentJobs: count,
    maxN: z.number().int().min(1).max(10),
    sizes: z.array(z.enum(IMAGE_SIZES)).min(1),
    qualities: z.array(z.enum(IMAGE_QUALITIES)).min(1),
  })
  .partial()
  .strict();
const surgeBody = z.object({ enabled: z.boolean() }).strict();
const signupPatch = z.object({ perIpPerHour: count, globalPerMinute: count }).partial().strict();

function parse<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, raw: unknown): T {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new InvalidRequestError(`Invalid '${issue.path.join('.') || 'body'}': ${issue.message}`, issue.path.join('.') || null);
}

async function jsonBody(raw: Request): Promise<unknown> {
  try {
    return await raw.json();
  } catch {
    throw new InvalidRequestError('The request body is not valid JSON.');
  }
}

function tier(raw: string): Tier {
  if (!(TIERS as readonly string[]).includes(raw)) throw new NotFoundError(`No tier '${raw}'. Tiers: ${TIERS.join(', ')}.`);
  return raw as Tier;
}

function tierView(snapshot: TierConfigSnapshot, name: Tier) {
  return { tier: name, surge: snapshot.surge, limits: snapshot.tiers[name], base: snapshot.base[name], surgeProfile: snapshot.surgeProfile[name] ?? null };
}

function tenantId(raw: string): string {
  if (!TENANT_ID.test(raw)) throw new InvalidRequestError('Tenant ids are 3–32 lowercase letters or digits.', 'tenant_id');
  return raw;
}

export const admin = new Hono<AppEnv>();

admin.use('*', adminAuth());

admin.put('/tenants/:tenantId', async (c) => {
  const id = tenantId(c.req.param('tenantId'));
  const { tier } = parse(tenantBody, await jsonBody(c.req.raw));
  const stub = tenantStub(c.env, id);
  return c.json(await stub.configure(id, tier));
});

admin.get('/tenants/:tenantId', async (c) => {
  const id = tenantId(c.req.param('tenantId'));
  const stub = tenantStub(c.env, id);
  try {
    return c.json(await stub.describe());
  } catch {
    throw new NotFoundError(`No tenant '${id}'.`);
  }
});

/** Creates a key. The full key is in this response only; the gateway keeps just its hash. */
admin.post('/tenants/:tenantId/keys', async (c) => {
  const id = tenantId(c.req.param('tenantId'));
  const { name, secret = newSecret() } = parse(keyBody, await jsonBody(c.req.raw));
  const stub = tenantStub(c.env, id);
  const secretHash = await sha256Hex(secret);
  const keyId = `key_${secretHash.slice(0, 16)}`;
  try {
    await stub.addKey(keyId, name, secretHash);
  } catch {
    throw new NotFoundError(`No tenant '${id}'. Create it first with PUT /v1/admin/tenants/${id}.`);
  }
  return c.json({ id: keyId, name, key: formatKey(id, secret) }, 201);
});

admin.delete('/tenants/:tenantId/keys/:keyId', async (c) => {
  const id = tenantId(c.req.param('tenantId'));
  const stub = tenantStub(c.env, id);
  if (!(await stub.revokeKey(c.req.param('keyId')))) throw new NotFoundError(`No live key '${c.req.param('keyId')}'.`);
  return c.json({ id: c.req.param('keyId'), revoked: true });
});

/** Sets (PUT, a partial TierLimits) or clears (DELETE) limits for one tenant alone, e.g. an enterprise contract. */
admin.put('/tenants/:tenantId/limits', async (c) => {
  const id = tenantId(c.req.param('tenantId'));
  const patch = parse(limitsPatch, await jsonBody(c.req.raw)) as Partial<TierLimits>;
  const summary = await tenantStub(c.env, id).setLimitsOverride(patch);
  if (!summary) throw new NotFoundError(`No tenant '${id}'. Create it first with PUT /v1/admin/tenants/${id}.`);
  return c.json(summary);
});

admin.delete('/tenants/:tenantId/limits', async (c) => {
  const id = tenantId(c.req.param('tenantId'));
  const summary = await tenantStub(c.env, id).setLimitsOverride(null);
  if (!summary) throw new NotFoundError(`No tenant '${id}'.`);
  return c.json(summary);
});

/** Requests, images and 429s per minute (last hour) and per day (last 30 days), with the buckets as they stand. */
admin.get('/tenants/:tenantId/usage', async (c) => {
  const id = tenantId(c.req.param('tenantId'));
  const { tiers } = await liveTierConfig(c.env);
  const usage = await tenantStub(c.env, id).usage(tiers);
  if (!usage) throw new NotFoundError(`No tenant '${id}'.`);
  return c.json(usage);
});

// Live limits. Writes go to the TierConfig object; every isolate picks them up
// within TIER_CONFIG_CACHE_MS (this one at once).

admin.get('/tiers', async (c) => {
  const snapshot = await tierConfigStub(c.env).snapshot();
  rememberTierConfig(snapshot);
  return c.json({ surge: snapshot.surge, tiers: TIERS.map((name) => tierView(snapshot, name)) });
});

admin.get('/tiers/:tier', async (c) => {
  const name = tier(c.req.param('tier'));
  const snapshot = await tierConfigStub(c.env).snapshot();
  rememberTierConfig(snapshot);
  return c.json(tierView(snapshot, name));
});

admin.put('/tiers/:tier', async (c) => {
  const name = tier(c.req.param('tier'));
  const patch = parse(limitsPatch, await jsonBody(c.req.raw)) as Partial<TierLimits>;
  const snapshot = await tierConfigStub(c.env).setTier(name, patch);
  rememberTierConfig(snapshot);
  return c.json(tierView(snapshot, name));
});

/** Back to the defaults in gateway/limits.ts. */
admin.delete('/tiers/:tier', async (c) => {
  const name = tier(c.req.param('tier'));
  const snapshot = await tierConfigStub(c.env).resetTier(name);
  rememberTierConfig(snapshot);
  return c.json(tierView(snapshot, name));
});

/** Surge mode lowers tiers to the surge profile of gateway/limits.ts (only ever lowers); `false` restores the live limits. */
admin.post('/surge', async (c) => {
  const { enabled } = parse(surgeBody, await jsonBody(c.req.raw));
  const snapshot = await tierConfigStub(c.env).setSurge(enabled);
  rememberTierConfig(snapshot);
  return c.json({ surge: snapshot.surge, tiers: TIERS.map((name) => tierView(snapshot, name)) });
});

admin.get('/signup', async (c) => {
  const snapshot = await tierConfigStub(c.env).snapshot();
  rememberTierConfig(snapshot);
  return c.json(snapshot.signup);
});

admin.put('/signup', async (c) => {
  const patch = parse(signupPatch, await jsonBody(c.req.raw));
  const snapshot = await tierConfigStub(c.env).setSignup(patch);
  rememberTierConfig(snapshot);
  return c.json(snapshot.signup);
});

/** Recent safety verdicts from the origins' audit log, newest first (filters: tenant, job, blocked; paging: before, limit). */
admin.get('/safety', async (c) => {
  const query = new URLSearchParams();
  for (const name of ['limit', 'before', 'tenant', 'job', 'blocked']) {
    const value = c.req.query(name);
    if (value !== undefined) query.set(name, value);
  }
  const search = query.size > 0 ? `?${query}` : '';
  return relay(await callOriginApi(c.env, 'GET', `/v1/safety/verdicts${search}`));
});
