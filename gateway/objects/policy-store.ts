import { desc, eq, lt } from 'drizzle-orm';
import { policyOverlays, policyVersions } from '../../schema/gateway.js';
import type { Env } from '../env.js';
import { defaultPolicySnapshot } from '../../plugins/safety-policy/cache.js';
import type { PolicyOverlay, PolicySnapshot, SafetyPolicy } from '../../protocol/policy.js';
import { SqliteObject } from './migrate.js';

export interface PolicyVersionEntry {
  version: number;
  policy: SafetyPolicy;
  note: string | null;
  createdAt: number;
}

export type PutPolicyOutcome =
  | { ok: true; entry: PolicyVersionEntry; snapshot: PolicySnapshot }
  /** The write named the version it was based on, and another write came first. */
  | { ok: false; currentVersion: number };

export interface OverlayEntry {
  tenantId: string;
  overlay: PolicyOverlay | null;
  /** 0 when the tenant never had one. */
  version: number;
  updatedAt: number | null;
}

/**
 * The one place the live safety policy is written: versioned base policies
 * and per-tenant overlays. Inputs are validated by the admin routes before
 * they get here. Like TierConfig it is read only by isolates and origins
 * refreshing their caches every few seconds, never once per request, so a
 * single object is not hot. Each write is synchronous SQL with no await in
 * between, so it commits atomically and revisions cannot collide.
 */
export class PolicyStore extends SqliteObject {
  async snapshot(): Promise<PolicySnapshot> {
    return this.#snapshot();
  }

  /** Stores `policy` as the next version; with `expectedVersion`, only if that is still the live one. */
  async putPolicy(policy: SafetyPolicy, options: { expectedVersion?: number; note?: string | null } = {}): Promise<PutPolicyOutcome> {
    const currentVersion = this.#latest()?.version ?? 0;
    if (options.expectedVersion !== undefined && options.expectedVersion !== currentVersion) return { ok: false, currentVersion };
    const version = currentVersion + 1;
    const createdAt = Date.now();
    const stored: SafetyPolicy = { ...policy, version };
    this.db
      .insert(policyVersions)
      .values({ version, policy: JSON.stringify(stored), note: options.note ?? null, revision: this.#nextRevision(), createdAt })
      .run();
    return { ok: true, entry: { version, policy: stored, note: options.note ?? null, createdAt }, snapshot: this.#snapshot() };
  }

  /** Stored versions, newest first. */
  async history(limit: number, before?: number): Promise<{ entries: PolicyVersionEntry[]; hasMore: boolean }> {
    const rows = this.db
      .select()
      .from(policyVersions)
      .where(before === undefined ? undefined : lt(policyVersions.version, before))
      .orderBy(desc(policyVersions.version))
      .limit(limit + 1)
      .all();
    return {
      entries: rows.slice(0, limit).map((row) => ({ version: row.version, policy: JSON.parse(row.policy) as SafetyPolicy, note: row.note, createdAt: row.createdAt })),
      hasMore: rows.length > limit,
    };
  }

  async overlay(tenantId: string): Promise<OverlayEntry> {
    const row = this.db.select().from(policyOverlays).where(eq(policyOverlays.tenantId, tenantId)).get();
    if (!row) return { tenantId, overlay: null, version: 0, updatedAt: null };
    return { tenantId, overlay: row.overlay === null ? null : (JSON.parse(row.overlay) as PolicyOverlay), version: row.version, updatedAt: row.updatedAt };
  }

  /** Sets (or, with null, clears) a tenant's overlay. */
  async putOverlay(tenantId: string, overlay: PolicyOverlay | null): Promise<{ entry: OverlayEntry; snapshot: PolicySnapshot }> {
    const previous = this.db.select().from(policyOverlays).where(eq(policyOverlays.tenantId, tenantId)).get();
    const version = (previous?.version ?? 0) + 1;
    const updatedAt = Date.now();
    const row = { overlay: overlay === null ? null : JSON.stringify(overlay), version, revision: this.#nextRevision(), updatedAt };
    this.db
      .insert(policyOverlays)
      .values({ tenantId, ...row })
      .onConflictDoUpdate({ target: policyOverlays.tenantId, set: row })
      .run();
    return { entry: { tenantId, overlay, version, updatedAt }, snapshot: this.#snapshot() };
  }

  #latest() {
    return this.db.select().from(policyVersions).orderBy(desc(policyVersions.version)).limit(1).get();
  }

  #revision(): number {
    const latestPolicy = this.db.select({ revision: policyVersions.revision }).from(policyVersions).orderBy(desc(policyVersions.revision)).limit(1).get();
    const latestOverlay = this.db.select({ revision: policyOverlays.revision }).from(policyOverlays).orderBy(desc(policyOverlays.revision)).limit(1).get();
    return Math.max(0, latestPolicy?.revision ?? 0, latestOverlay?.revision ?? 0);
  }

  #nextRevision(): number {
    return this.#revision() + 1;
  }

  #snapshot(): PolicySnapshot {
    const latest = this.#latest();
    const overlays: PolicySnapshot['overlays'] = {};
    for (const row of this.db.select().from(policyOverlays).all()) {
      if (row.overlay !== null) overlays[row.tenantId] = { version: row.version, overlay: JSON.parse(row.overlay) as PolicyOverlay, updatedAt: row.updatedAt };
    }
    return {
      revision: this.#revision(),
      base: latest ? { version: latest.version, policy: JSON.parse(latest.policy) as SafetyPolicy, note: latest.note, createdAt: latest.createdAt } : defaultPolicySnapshot().base,
      overlays,
    };
  }
}

export function policyStoreStub(env: Env): DurableObjectStub<PolicyStore> {
  return env.POLICY_STORE.get(env.POLICY_STORE.idFromName('global'));
}
