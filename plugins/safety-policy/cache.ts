// The copy of the live safety policy each process keeps: the gateway's isolates
// and the origins' prompt-policy stage both read the store through it. Pure:
// runs in workerd and in Node.
import type { PolicySnapshot } from '../../protocol/policy.js';
import { applyOverlay, compilePolicy, DEFAULT_POLICY, type CompiledPolicy, type SafetyPolicy } from './engine.js';

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
 * A process's copy of the live policy. Once it holds a copy, the store is read
 * at most once per `ttlMs` and by one caller at a time, so moderation costs a map lookup and
 * the engine's matching, never a round trip; a failed read keeps the last
 * known snapshot (or the default policy) for another `ttlMs` instead of
 * failing requests. Each (base version, overlay version) pair is compiled once.
 */
export class PolicyCache {
  #current: { snapshot: PolicySnapshot; fetchedAt: number } | undefined;
  #refreshing = false;
  readonly #compiled = new Map<string, CompiledPolicy>();

  constructor(readonly options: PolicyCacheOptions) {}

  /**
   * The live snapshot, at most `ttlMs` old (plus one read while another caller
   * refreshes it); `load` reads the store. No read is shared between callers:
   * on Workers a request must not await another request's I/O (its
   * continuation would run in that request's context, and its next call would
   * fail). So while one caller refreshes, the others get the copy it is
   * replacing, and only a cache with no copy at all has each caller read.
   */
  async snapshot(load: () => Promise<PolicySnapshot>, ttlMs: number = this.options.ttlMs): Promise<PolicySnapshot> {
    const current = this.#current;
    if (current && Date.now() - current.fetchedAt < ttlMs) return current.snapshot;
    if (current && this.#refreshing) return current.snapshot;
    if (current && this.options.serveStale) {
      // Node only: the refresh runs on with nobody waiting for it.
      void this.#refresh(load);
      return current.snapshot;
    }
    return this.#refresh(load);
  }

  async #refresh(load: () => Promise<PolicySnapshot>): Promise<PolicySnapshot> {
    const startedAt = Date.now();
    this.#refreshing = true;
    try {
      const snapshot = await load();
      const current = this.#current;
      // A snapshot remembered while this read was in flight (an admin write) is newer than what the read saw.
      if (!current || current.fetchedAt <= startedAt || snapshot.revision >= current.snapshot.revision) this.#current = { snapshot, fetchedAt: Date.now() };
      else current.fetchedAt = Date.now();
      return this.#current!.snapshot;
    } catch (error) {
      this.options.onRefreshError?.(error);
      const fallback = this.#current?.snapshot ?? defaultPolicySnapshot();
      this.#current = { snapshot: fallback, fetchedAt: Date.now() };
      return fallback;
    } finally {
      this.#refreshing = false;
    }
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
