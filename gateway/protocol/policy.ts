// The live safety policy as the gateway's PolicyStore holds it and sends it to
// origins (GET /internal/policy), plus the cache both sides keep of it. Pure:
// runs in workerd and in Node.
import { z } from 'zod';
import {
  applyOverlay,
  compilePolicy,
  DEFAULT_POLICY,
  policyOverlaySchema,
  policySchema,
  type CompiledPolicy,
  type PolicyOverlay,
  type SafetyPolicy,
} from '../../plugins/safety-policy/engine.js';

/** The base policy and every tenant's overlay, as of one `revision` of the store. */
export const policySnapshotSchema = z.object({
  /** Strictly increasing over every write (base policy or overlay); 0 before any. */
  revision: z.number().int().min(0),
  base: z.object({
    /** 0 is the built-in DEFAULT_POLICY; every PUT /v1/admin/policy adds one. */
    version: z.number().int().min(0),
    policy: policySchema,
    note: z.string().nullable(),
    createdAt: z.number().int().min(0),
  }),
  overlays: z.record(z.string(), z.object({ version: z.number().int().min(1), overlay: policyOverlaySchema, updatedAt: z.number().int().min(0) })),
});

export type PolicySnapshot = z.infer<typeof policySnapshotSchema>;
export type { CompiledPolicy, PolicyOverlay, SafetyPolicy };

/** What is enforced before anything has been stored, or when the store cannot be reached and nothing is known. */
export function defaultPolicySnapshot(): PolicySnapshot {
  return { revision: 0, base: { version: 0, policy: { ...DEFAULT_POLICY, version: 0 }, note: null, createdAt: 0 }, overlays: {} };
}

/** The policy a tenant is held to: the base with its overlay applied (overlays only make it stricter). */
export function effectivePolicyOf(snapshot: PolicySnapshot, tenantId: string | undefined): SafetyPolicy {
  const overlay = tenantId === undefined ? undefined : snapshot.overlays[tenantId];
  return overlay ? applyOverlay(snapshot.base.policy, overlay.overlay) : snapshot.base.policy;
}

/** Compiled policies kept per process; beyond this many (base, overlay) pairs the memo starts over. */
const MAX_COMPILED = 512;

export interface PolicyCacheOptions {
  /** How long a snapshot is trusted before the next call refreshes it: the propagation delay of a policy change. */
  ttlMs: number;
  /** Told when a refresh fails; the cache then keeps serving the last known (or the default) policy. */
  onRefreshError?: (error: unknown) => void;
  /**
   * Answer with the expired snapshot while a refresh runs, rather than wait for
   * it (only the very first read waits). For origins, whose reads cross a network.
   */
  serveStale?: boolean;
}

/**
 * A process's copy of the live policy. The store is read at most once per
 * `ttlMs` and by one caller at a time, so moderation costs a map lookup and
 * the engine's matching, never a round trip; a failed read keeps the last
 * known snapshot (or the default policy) for another `ttlMs` instead of
 * failing requests. Each (base version, overlay version) pair is compiled once.
 */
export class PolicyCache {
  #current: { snapshot: PolicySnapshot; fetchedAt: number } | undefined;
  #inflight: Promise<PolicySnapshot> | undefined;
  readonly #compiled = new Map<string, CompiledPolicy>();

  constructor(readonly options: PolicyCacheOptions) {}

  /** The live snapshot, at most `ttlMs` old; `load` reads the store. */
  async snapshot(load: () => Promise<PolicySnapshot>, ttlMs: number = this.options.ttlMs): Promise<PolicySnapshot> {
    const current = this.#current;
    if (current && Date.now() - current.fetchedAt < ttlMs) return current.snapshot;
    const refresh = this.#refresh(load);
    return current && this.options.serveStale ? current.snapshot : refresh;
  }

  #refresh(load: () => Promise<PolicySnapshot>): Promise<PolicySnapshot> {
    const startedAt = Date.now();
    this.#inflight ??= load()
      .then((snapshot) => {
        const current = this.#current;
        // A snapshot remembered while this read was in flight (an admin write) is newer than what the read saw.
        if (!current || current.fetchedAt <= startedAt || snapshot.revision >= current.snapshot.revision) this.#current = { snapshot, fetchedAt: Date.now() };
        else current.fetchedAt = Date.now();
        return this.#current!.snapshot;
      })
      .catch((error: unknown) => {
        this.options.onRefreshError?.(error);
        const fallback = this.#current?.snapshot ?? defaultPolicySnapshot();
        this.#current = { snapshot: fallback, fetchedAt: Date.now() };
        return fallback;
      })
      .finally(() => {
        this.#inflight = undefined;
      });
    return this.#inflight;
  }

  /** Takes a snapshot the caller has just read from or written to the store, so the process that made a change enforces it at once. */
  remember(snapshot: PolicySnapshot): void {
    this.#current = { snapshot, fetchedAt: Date.now() };
  }

  /** The compiled policy of one tenant (or the base policy with no tenant) in `snapshot`. */
  compiledFor(snapshot: PolicySnapshot, tenantId: string | undefined): CompiledPolicy {
    const overlay = tenantId === undefined ? undefined : snapshot.overlays[tenantId];
    const key = overlay ? `${snapshot.base.version}/${tenantId}@${overlay.version}` : `${snapshot.base.version}`;
    let compiled = this.#compiled.get(key);
    if (!compiled) {
      if (this.#compiled.size >= MAX_COMPILED) this.#compiled.clear();
      compiled = compilePolicy(effectivePolicyOf(snapshot, tenantId));
      this.#compiled.set(key, compiled);
    }
    return compiled;
  }

  /** The compiled policy a tenant is held to right now. */
  async resolve(tenantId: string | undefined, load: () => Promise<PolicySnapshot>): Promise<CompiledPolicy> {
    return this.compiledFor(await this.snapshot(load), tenantId);
  }
}

/** A prompt the gateway refused, as it reports it to the origins' audit log (POST /v1/safety/verdicts on the origin API). */
export const gatewayBlockSchema = z
  .object({
    /** The block's `modr_…` id; no job exists, so the audit log keeps it as the job id. */
    id: z.string().regex(/^modr_[0-9a-f]{32}$/),
    tenantId: z.string().min(1).max(128),
    category: z.string().min(1).max(128),
    severity: z.enum(['low', 'medium', 'high', 'critical']),
    score: z.number().min(0).max(1),
    policyVersion: z.number().int().min(0),
    plugin: z.string().min(1).max(128),
    createdAt: z.number().int().min(0),
  })
  .strict();

export type GatewayBlock = z.infer<typeof gatewayBlockSchema>;
