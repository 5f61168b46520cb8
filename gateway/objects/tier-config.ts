import { configEntries } from '../../schema/gateway.js';
import type { Env } from '../env.js';
import { applySurge, DEFAULT_SIGNUP_LIMITS, DEFAULT_TIER_LIMITS, SURGE_PROFILE, type SignupLimits, type TierLimits } from '../limits.js';
import { TIERS, type Tier } from '../../protocol/tiers.js';
import { SqliteObject } from './migrate.js';

export interface TierConfigSnapshot {
  /** Changes on every admin write; lets caches tell a new snapshot from an old one. */
  version: number;
  surge: boolean;
  /** What each tier is held to right now (surge applied). */
  tiers: Record<Tier, TierLimits>;
  /** The live limits before surge. */
  base: Record<Tier, TierLimits>;
  surgeProfile: Partial<Record<Tier, Partial<TierLimits>>>;
  signup: SignupLimits;
}

/**
 * The one place live tier limits, surge mode and the signup rate are written.
 * It is read only by isolates refreshing their cache (every few seconds each,
 * see `liveTierConfig`), never once per request, so being a single object does
 * not make it hot.
 */
export class TierConfig extends SqliteObject {



  async snapshot(): Promise<TierConfigSnapshot> {
    const entries = new Map(this.db.select().from(configEntries).all().map((row) => [row.key, row]));
    const read = <T>(key: string): Partial<T> => {
      const raw = entries.get(key)?.value;
      return raw ? (JSON.parse(raw) as Partial<T>) : {};
    };
    const surge = read<{ enabled: boolean }>('surge').enabled === true;
    const base = Object.fromEntries(TIERS.map((tier) => [tier, { ...DEFAULT_TIER_LIMITS[tier], ...read<TierLimits>(`tier:${tier}`) }])) as Record<Tier, TierLimits>;
    const tiers = Object.fromEntries(TIERS.map((tier) => [tier, surge ? applySurge(base[tier], SURGE_PROFILE[tier]) : base[tier]])) as Record<Tier, TierLimits>;
    const version = Math.max(0, ...[...entries.values()].map((row) => row.updatedAt));
    return { version, surge, tiers, base, surgeProfile: { ...SURGE_PROFILE }, signup: { ...DEFAULT_SIGNUP_LIMITS, ...read<SignupLimits>('signup') } };
  }

  /** Changes some of a tier's limits; fields left out keep their value. */
  async setTier(tier: Tier, patch: Partial<TierLimits>): Promise<TierConfigSnapshot> {
    const current = (await this.snapshot()).base[tier];
    const changed = Object.fromEntries(Object.entries({ ...current, ...patch }).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(DEFAULT_TIER_LIMITS[tier][key as keyof TierLimits])));
    this.#put(`tier:${tier}`, changed);
    return this.snapshot();
  }

  /** Back to the defaults of gateway/limits.ts. */
  async resetTier(tier: Tier): Promise<TierConfigSnapshot> {
    this.#put(`tier:${tier}`, {});
    return this.snapshot();
  }

  async setSurge(enabled: boolean): Promise<TierConfigSnapshot> {
    this.#put('surge', { enabled });
    return this.snapshot();
  }

  async setSignup(patch: Partial<SignupLimits>): Promise<TierConfigSnapshot> {
    const current = (await this.snapshot()).signup;
    this.#put('signup', { ...current, ...patch });
    return this.snapshot();
  }

  #put(key: string, value: object): void {
    // Strictly increasing, so two writes in one millisecond still read as two versions.
    const previous = this.db.select().from(configEntries).all().reduce((max, row) => Math.max(max, row.updatedAt), 0);
    const updatedAt = Math.max(Date.now(), previous + 1);
    const json = JSON.stringify(value);
    this.db
      .insert(configEntries)
      .values({ key, value: json, updatedAt })
      .onConflictDoUpdate({ target: configEntries.key, set: { value: json, updatedAt } })
      .run();
  }
}

export function tierConfigStub(env: Env): DurableObjectStub<TierConfig> {
  return env.TIER_CONFIG.get(env.TIER_CONFIG.idFromName('global'));
}
