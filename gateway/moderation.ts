// Input moderation at the gateway: every generation and edit prompt is checked
// against the tenant's live policy before anything is admitted or queued, so a
// refused prompt never takes an image token, a concurrency slot or a queue
// entry, and is never answered 202. The origin runs the same engine on the same
// policy again (defence in depth).
import type { Context } from 'hono';
import type { AppEnv, Env } from './env.js';
import { GenerationRejectedError } from './errors.js';
import { policyStoreStub } from './objects/policy-store.js';
import { callOriginApi } from './origin-api.js';
import { PolicyCache } from '../plugins/safety-policy/cache.js';
import { moderateText, type CompiledPolicy } from '../plugins/safety-policy/engine.js';
import type { GenerationParams } from '../protocol/jobs.js';
import type { GatewayBlock, PolicySnapshot } from '../protocol/policy.js';

/** How long an isolate trusts its copy of the policy: the delay before a PUT /v1/admin/policy reaches every isolate. */
export const POLICY_CACHE_MS = 5_000;

/** The plugin name gateway-side blocks carry in the safety audit log. */
export const GATEWAY_MODERATION_PLUGIN = 'lumen/gateway-moderation';

const cache = new PolicyCache({
  ttlMs: POLICY_CACHE_MS,
  onRefreshError: (error) => console.error(JSON.stringify({ level: 'error', message: 'policy refresh failed; keeping the last known policy', error: String(error) })),
});

/** The live base policy and overlays, at most `ttlMs` old (the PolicyStore is read once per isolate per ttlMs). */
export function livePolicy(env: Env, ttlMs?: number): Promise<PolicySnapshot> {
  return cache.snapshot(() => policyStoreStub(env).snapshot(), ttlMs);
}

/** Puts a snapshot an admin call just read or wrote into this isolate's cache. */
export function rememberPolicy(snapshot: PolicySnapshot): void {
  cache.remember(snapshot);
}

/** The compiled policy a tenant is held to in `snapshot` (the base with its overlay), compiled once per isolate. */
export function compiledPolicyOf(snapshot: PolicySnapshot, tenantId: string): CompiledPolicy {
  return cache.compiledFor(snapshot, tenantId);
}

/**
 * Refuses a submission whose prompt the tenant's policy blocks, with the same
 * `400 moderation_blocked` (`moderation_stage: "input"`) an origin-side block
 * gets. Call first in submitJob: before admission, before any stream starts.
 */
export async function moderateSubmission(c: Context<AppEnv>, { params }: { params: GenerationParams }): Promise<void> {
  const tenant = c.get('tenant');
  const snapshot = await livePolicy(c.env);
  const result = moderateText(compiledPolicyOf(snapshot, tenant.id), params.prompt, { moderation: params.moderation ?? 'auto' });
  if (!result.blocked) return;
  const { category, severity, reason } = result.blocked;
  // No job exists to name, so the block gets its own id: the client can quote it, and the audit log records it as the job id.
  const moderationId = `modr_${crypto.randomUUID().replaceAll('-', '')}`;
  c.header('Lumen-Moderation-Id', moderationId);
  const audit = recordGatewayBlock(c.env, {
    id: moderationId,
    tenantId: tenant.id,
    category,
    severity,
    score: result.categoryScores[category],
    policyVersion: snapshot.base.version,
  });
  try {
    c.executionCtx.waitUntil(audit);
  } catch {
    // No execution context (a bare app.request in tests): the write still runs, just unawaited.
  }
  throw new GenerationRejectedError(`Your request was rejected by the safety system (category: ${category}, prompt). ${reason}`, 'moderation_blocked', {
    stage: 'input',
    category,
    pass: 0,
    passesSkipped: 0,
  });
}

/**
 * Writes a block to the origins' safety audit log (libSQL `safety_verdicts`),
 * so GET /v1/admin/safety lists gateway and origin blocks together. Runs after
 * the 400 has gone out; a failure is logged, never surfaced.
 */
export async function recordGatewayBlock(env: Env, record: Omit<GatewayBlock, 'plugin' | 'createdAt'>): Promise<void> {
  const line = { message: 'prompt blocked at the gateway', moderation_id: record.id, tenant: record.tenantId, category: record.category, policy_version: record.policyVersion };
  try {
    const block: GatewayBlock = { ...record, plugin: GATEWAY_MODERATION_PLUGIN, createdAt: Date.now() };
    const body = new TextEncoder().encode(JSON.stringify(block));
    const response = await callOriginApi(env, 'POST', '/v1/safety/verdicts', body);
    if (!response.ok) throw new Error(`origin API answered ${response.status}: ${await response.text()}`);
    console.log(JSON.stringify({ level: 'info', ...line, audited: true }));
  } catch (error) {
    console.error(JSON.stringify({ level: 'error', ...line, audited: false, error: String(error) }));
  }
}
