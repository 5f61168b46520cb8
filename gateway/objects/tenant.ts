import { DurableObject } from 'cloudflare:workers';
import { and, eq, isNull } from 'drizzle-orm';
import { apiKeys, tenant } from '../../schema/gateway.js';
import type { Env } from '../env.js';
import { constantTimeEqual } from '../protocol/signature.js';
import type { Tier } from '../tiers.js';
import { MigratedDatabase, type GatewayDatabase } from './migrate.js';

export interface VerifiedKey {
  tenantId: string;
  tier: Tier;
  keyId: string;
}

export interface TenantSummary {
  id: string;
  tier: Tier;
  keys: { id: string; name: string; createdAt: number; lastUsedAt: number | null; revokedAt: number | null }[];
}

/** Writing last-used on every request would make auth a write path; once a minute is enough. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** One object per tenant (named by tenant id): its tier and its API key hashes. */
export class Tenant extends DurableObject<Env> {
  readonly #storage: MigratedDatabase;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#storage = new MigratedDatabase(ctx);
  }

  get #db(): GatewayDatabase {
    return this.#storage.db;
  }

  /** Creates the tenant or changes its tier. */
  async configure(tenantId: string, tier: Tier): Promise<TenantSummary> {
    const now = Date.now();
    this.#db
      .insert(tenant)
      .values({ id: tenantId, tier, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({ target: tenant.id, set: { tier, updatedAt: now } })
      .run();
    return this.describe();
  }

  /** Stores a key by the hash of its secret. Re-adding the same hash is a no-op, which makes seeding idempotent. */
  async addKey(keyId: string, name: string, secretHash: string): Promise<void> {
    if (!this.#tenantRow()) throw new Error('tenant does not exist');
    this.#db
      .insert(apiKeys)
      .values({ id: keyId, name, secretHash, createdAt: Date.now() })
      .onConflictDoNothing()
      .run();
  }

  async revokeKey(keyId: string): Promise<boolean> {
    const revoked = this.#db
      .update(apiKeys)
      .set({ revokedAt: Date.now() })
      .where(and(eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id })
      .all();
    return revoked.length > 0;
  }

  /** Checks a secret's hash against every live key in constant time per key. */
  async verify(secretHash: string): Promise<VerifiedKey | null> {
    const row = this.#tenantRow();
    if (!row) return null;
    const live = this.#db.select().from(apiKeys).where(isNull(apiKeys.revokedAt)).all();
    let match: (typeof live)[number] | undefined;
    for (const key of live) if (constantTimeEqual(key.secretHash, secretHash)) match = key;
    if (!match) return null;
    const now = Date.now();
    if (!match.lastUsedAt || now - match.lastUsedAt > LAST_USED_RESOLUTION_MS) {
      this.#db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, match.id)).run();
    }
    return { tenantId: row.id, tier: row.tier, keyId: match.id };
  }

  async describe(): Promise<TenantSummary> {
    const row = this.#tenantRow();
    if (!row) throw new Error('tenant does not exist');
    const keys = this.#db
      .select({ id: apiKeys.id, name: apiKeys.name, createdAt: apiKeys.createdAt, lastUsedAt: apiKeys.lastUsedAt, revokedAt: apiKeys.revokedAt })
      .from(apiKeys)
      .all();
    return { id: row.id, tier: row.tier, keys };
  }

  #tenantRow() {
    return this.#db.select().from(tenant).get();
  }
}
