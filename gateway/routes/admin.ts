import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv, Env } from '../env.js';
import { applyOverlay, compilePolicy, policyOverlaySchema, policySchema, type SafetyPolicy } from '../../plugins/safety-policy/engine.js';
import { ApiError, ConflictError, InvalidRequestError, NotFoundError } from '../errors.js';
import { formatKey, TENANT_ID } from '../keys.js';
import { newSecret } from '../../protocol/api-key.js';
import type { TierLimits } from '../limits.js';
import { IMAGE_QUALITIES, IMAGE_SIZES } from '../../protocol/images.js';
import { adminAuth } from '../middleware/admin-auth.js';
import { liveTierConfig, rememberTierConfig } from '../tier-limits.js';
import { rememberPolicy } from '../moderation.js';
import { policyStoreStub, type OverlayEntry } from '../objects/policy-store.js';
import { callOriginApi, relay } from '../origin-api.js';
import { tierConfigStub, type TierConfigSnapshot } from '../objects/tier-config.js';
import { SURGE_MODES, type SurgeMode } from '../objects/surge-controller.js';
import { effectivePolicyOf } from '../../plugins/safety-policy/cache.js';
import type { PolicySnapshot } from '../../protocol/policy.js';
import { sha256Hex } from '../../protocol/signature.js';
import { TIERS, type Tier } from '../../protocol/tiers.js';
import { tenantStub } from '../objects/tenant.js';
import { forgetBucketState } from '../isolate-buckets.js';

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
    readsPerMinute: count,
    imagesPerMinute: count,
    concurrentJobs: count,
    maxN: z.number().int().min(1).max(10),
    sizes: z.array(z.enum(IMAGE_SIZES)).min(1),
    qualities: z.array(z.enum(IMAGE_QUALITIES)).min(1),
  })
  .partial()
  .strict();
/** `{"mode"}` pins surge on or off or hands it to the controller (`auto`); `{"enabled"}` is the older switch, a pin. */
const surgeBody = z.union([z.object({ mode: z.enum(SURGE_MODES as [SurgeMode, ...SurgeMode[]]) }).strict(), z.object({ enabled: z.boolean() }).strict()]);
const surgeControllerPatch = z
  .object({
    paidWaitMs: z.number().positive().max(86_400_000),
    freeBacklog: z.number().int().min(1).max(10_000_000),
    releaseRatio: z.number().positive().max(1),
    calmMs: z.number().min(0).max(86_400_000),
    pollMs: z.number().min(50).max(3_600_000),
  })
  .partial()
  .strict();
const surgeQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }).strict();
const signupPatch = z.object({ perIpPerHour: count, globalPerMinute: count }).partial().strict();
const MAX_POLICY_CHARS = 1_000_000;
const policyPutQuery = z.object({ note: z.string().max(500).optional() }).strict();
const policyHistoryQuery = z
  .object({ limit: z.coerce.number().int().min(1).max(100).default(20), before: z.coerce.number().int().min(1).optional() })
  .strict();

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

/** Compiles a policy the way every isolate and origin will, refusing (400) what would not. */
function compileOrRefuse(policy: SafetyPolicy, what: string): void {
  try {
    compilePolicy(policy);
  } catch (error) {
    throw new InvalidRequestError(`${what} does not compile: ${error instanceof Error ? error.message : String(error)}`, null, 'invalid_policy');
  }
}

function policyView(snapshot: PolicySnapshot) {
  const { base } = snapshot;
  return {
    object: 'safety_policy',
    version: base.version,
    /** `default`: nothing stored yet, the engine's DEFAULT_POLICY is live. */
    source: base.version === 0 ? 'default' : 'store',
    note: base.note,
    created_at: base.version === 0 ? null : Math.floor(base.createdAt / 1000),
    tenant_overlays: Object.keys(snapshot.overlays).length,
    policy: base.policy,
  };
}

function overlayView(entry: OverlayEntry, snapshot: PolicySnapshot) {
  return {
    object: 'safety_policy_overlay',
    tenant_id: entry.tenantId,
    version: entry.version,
    updated_at: entry.updatedAt === null ? null : Math.floor(entry.updatedAt / 1000),
    overlay: entry.overlay,
    base_version: snapshot.base.version,
    /** The base with this overlay applied: what the tenant's prompts are held to. */
    effective: effectivePolicyOf(snapshot, entry.tenantId),
  };
}

async function requireTenant(env: Env, id: string): Promise<void> {
  if (!(await tenantStub(env, id).describe())) throw new NotFoundError(`No tenant '${id}'. Create it first with PUT /v1/admin/tenants/${id}.`);
}

function tenantId(raw: string): string {
  if (!TENANT_ID.test(raw)) throw new InvalidRequestError('Tenant ids are 3–32 lowercase letters or digits.', 'tenant_id');
  return raw;
}

/** The tenant's signup waits in a SignupShard that could not be reached: changing it now would lose the signup's key. */
function signupNotAdoptedYet(id: string): ApiError {
  return new ApiError(
    503,
    'server_error',
    `Tenant '${id}' signed up, but its signup record cannot be read right now, so it cannot be changed yet. Retry after the time in Retry-After.`,
    'signup_not_adopted',
    null,
    { 'retry-after': '5' },
  );
}

export const admin = new Hono<AppEnv>();

admin.use('*', adminAuth());

admin.put('/tenants/:tenantId', async (c) => {
  const id = tenantId(c.req.param('tenantId'));
  const { tier } = parse(tenantBody, await jsonBody(c.req.raw));
  const stub = tenantStub(c.env, id);
  forgetBucketState(id);
  const configured = await stub.configure(id, tier);
  if (!configured) throw signupNotAdoptedYet(id);
  return c.json(configured);
});

admin.get('/tenants/:tenantId', async (c) => {
  const id = tenantId(c.req.param('tenantId'));
  const described = await tenantStub(c.env, id).describe();
  if (!described) throw new NotFoundError(`No tenant '${id}'.`);
  return c.json(described);
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
  return c.json({ id: keyId, name, key: await formatKey(c.env, id, secret) }, 201);
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
  forgetBucketState(id);
  const summary = await tenantStub(c.env, id).setLimitsOverride(patch);
  if (!summary) throw new NotFoundError(`No tenant '${id}'. Create it first with PUT /v1/admin/tenants/${id}.`);
  return c.json(summary);
});

admin.delete('/tenants/:tenantId/limits', async (c) => {
  const id = tenantId(c.req.param('tenantId'));
  forgetBucketState(id);
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
  return c.json({ surge: snapshot.surge, surgeMode: snapshot.surgeMode, tiers: TIERS.map((name) => tierView(snapshot, name)) });
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
  forgetBucketState();
  rememberTierConfig(snapshot);
  return c.json(tierView(snapshot, name));
});

/** Back to the defaults in gateway/limits.ts. */
admin.delete('/tiers/:tier', async (c) => {
  const name = tier(c.req.param('tier'));
  const snapshot = await tierConfigStub(c.env).resetTier(name);
  forgetBucketState();
  rememberTierConfig(snapshot);
  return c.json(tierView(snapshot, name));
});

/**
 * Surge mode lowers tiers to the surge profile of gateway/limits.ts (only ever lowers). `mode: "on"` / `"off"`
 * pins it (`enabled: true` / `false` too); `"auto"` hands it back to the controller, which engages and releases it from the load.
 */
admin.post('/surge', async (c) => {
  const body = parse(surgeBody, await jsonBody(c.req.raw));
  const mode: SurgeMode = 'mode' in body ? body.mode : body.enabled ? 'on' : 'off';
  const snapshot = await tierConfigStub(c.env).setSurgeMode(mode);
  forgetBucketState();
  rememberTierConfig(snapshot);
  return c.json({ surge: snapshot.surge, surgeMode: snapshot.surgeMode, tiers: TIERS.map((name) => tierView(snapshot, name)) });
});

/** The surge state, the controller's settings and last reading, and every change with its reason, newest first. */
admin.get('/surge', async (c) => {
  const { limit } = parse(surgeQuery, c.req.query());
  return c.json(await tierConfigStub(c.env).surgeStatus(limit));
});

/** Changes the controller's thresholds at run time (fields left out keep their value; the vars give the defaults). */
admin.put('/surge/controller', async (c) => {
  const patch = parse(surgeControllerPatch, await jsonBody(c.req.raw));
  return c.json(await tierConfigStub(c.env).setSurgeController(patch));
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

// Live safety policy. Writes go to the PolicyStore; every isolate and origin
// enforces them within POLICY_CACHE_MS (this isolate at once).

admin.get('/policy', async (c) => {
  const snapshot = await policyStoreStub(c.env).snapshot();
  rememberPolicy(snapshot);
  return c.json(policyView(snapshot));
});

/**
 * Replaces the base policy with the body (a SafetyPolicy, as GET returns it
 * under `policy`) as the next version. A `version` in the body is the version
 * the edit was based on: if another write came first the PUT is refused (409)
 * rather than silently undoing it.
 */
admin.put('/policy', async (c) => {
  const { note } = parse(policyPutQuery, c.req.query());
  const policy = parse(policySchema, await jsonBody(c.req.raw));
  // A Durable Object's SQLite holds at most 2 MB per value; the bundled policy is under 100 KB.
  if (JSON.stringify(policy).length > MAX_POLICY_CHARS) throw new InvalidRequestError(`The policy is larger than ${MAX_POLICY_CHARS} characters of JSON.`, null, 'policy_too_large');
  compileOrRefuse(policy, 'The policy');
  const store = policyStoreStub(c.env);
  const current = await store.snapshot();
  for (const [tenant, { overlay }] of Object.entries(current.overlays)) compileOrRefuse(applyOverlay(policy, overlay), `With tenant '${tenant}'s overlay, the policy`);
  const outcome = await store.putPolicy(policy, { expectedVersion: policy.version, note: note ?? null });
  if (!outcome.ok) {
    throw new ConflictError(
      `The live policy is version ${outcome.currentVersion} but this one was based on version ${policy.version}. GET /v1/admin/policy again, reapply the change, and PUT it with "version": ${outcome.currentVersion} (or without "version" to overwrite).`,
      'policy_version_conflict',
    );
  }
  rememberPolicy(outcome.snapshot);
  return c.json(policyView(outcome.snapshot));
});

/** Every stored version, newest first; PUT an old one's `policy` back to roll back. */
admin.get('/policy/history', async (c) => {
  const { limit, before } = parse(policyHistoryQuery, c.req.query());
  const { entries, hasMore } = await policyStoreStub(c.env).history(limit, before);
  return c.json({
    object: 'list',
    data: entries.map((entry) => ({ version: entry.version, note: entry.note, created_at: Math.floor(entry.createdAt / 1000), policy: entry.policy })),
    has_more: hasMore,
    next_before: hasMore ? (entries.at(-1)?.version ?? null) : null,
  });
});

admin.get('/tenants/:tenantId/policy', async (c) => {
  const id = tenantId(c.req.param('tenantId'));
  const store = policyStoreStub(c.env);
  const [entry, snapshot] = await Promise.all([store.overlay(id), store.snapshot()]);
  rememberPolicy(snapshot);
  return c.json(overlayView(entry, snapshot));
});

/**
 * Sets a tenant's overlay: it can only make the base stricter (disable
 * relaxation, enable categories, add terms, raise severities); the schema has
 * no way to say anything looser.
 */
admin.put('/tenants/:tenantId/policy', async (c) => {
  const id = tenantId(c.req.param('tenantId'));
  const overlay = parse(policyOverlaySchema, await jsonBody(c.req.raw));
  await requireTenant(c.env, id);
  const store = policyStoreStub(c.env);
  const current = await store.snapshot();
  const effective = applyOverlay(current.base.policy, overlay);
  compileOrRefuse(effective, `With this overlay, tenant '${id}'s policy`);
  const { entry, snapshot } = await store.putOverlay(id, overlay);
  rememberPolicy(snapshot);
  return c.json(overlayView(entry, snapshot));
});

/** Removes a tenant's overlay: it is held to the base policy again. */
admin.delete('/tenants/:tenantId/policy', async (c) => {
  const id = tenantId(c.req.param('tenantId'));
  const { entry, snapshot } = await policyStoreStub(c.env).putOverlay(id, null);
  rememberPolicy(snapshot);
  return c.json({ object: 'safety_policy_overlay', tenant_id: id, version: entry.version, overlay: null, base_version: snapshot.base.version, deleted: true });
});
