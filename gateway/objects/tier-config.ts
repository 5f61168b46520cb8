import { desc } from 'drizzle-orm';
import { configEntries, surgeChanges } from '../../schema/gateway.js';
import { config, type SurgeControllerSettings } from '../config.js';
import type { Env } from '../env.js';
import { fleetLoad, shardReports, type FleetLoad } from '../fleet.js';
import { decideSurge, type SurgeChangeReason, type SurgeMode } from './surge-controller.js';
import { applySurge, DEFAULT_SIGNUP_LIMITS, DEFAULT_TIER_LIMITS, SURGE_PROFILE, type SignupLimits, type TierLimits } from '../limits.js';
import { TIERS, type Tier } from '../../protocol/tiers.js';
import { SqliteObject } from './migrate.js';

export interface TierConfigSnapshot {
  /** Changes on every admin write; lets caches tell a new snapshot from an old one. */
  version: number;
  /** Whether surge limits apply: pinned on, or engaged by the controller in `auto`. */
  surge: boolean;
  surgeMode: SurgeMode;
  /** What each tier is held to right now (surge applied). */
  tiers: Record<Tier, TierLimits>;
  /** The live limits before surge. */
  base: Record<Tier, TierLimits>;
  surgeProfile: Partial<Record<Tier, Partial<TierLimits>>>;
  signup: SignupLimits;
}

/** The stored surge state: the admin's pin (or `auto`) and, in `auto`, whether the controller engaged it. */
interface SurgeState {
  mode: SurgeMode;
  engaged: boolean;
}

export interface SurgeChange {
  at: number;
  surge: boolean;
  mode: SurgeMode;
  cause: 'controller' | 'admin';
  metric: string | null;
  value: number | null;
  threshold: number | null;
  reason: string;
}

export interface SurgeStatus {
  surge: boolean;
  mode: SurgeMode;
  /** The controller's own verdict, which applies in `auto`. */
  engaged: boolean;
  settings: SurgeControllerSettings;
  /** The controller's last reading of the shards, null before its first. */
  load: FleetLoad | null;
  /** Since when the load has been calm while engaged, null when it is not. */
  calmSince: number | null;
  /** Newest first. */
  history: SurgeChange[];
}

/**
 * The one place live tier limits, surge mode and the signup rate are written.
 * It is read only by isolates refreshing their cache (every few seconds each,
 * see `liveTierConfig`), never once per request, so being a single object does
 * not make it hot.
 *
 * It also runs the surge controller: in `auto`, its alarm reads every shard's
 * report every SURGE_POLL_MS while there is anything queued (or surge is engaged),
 * and engages or releases surge (see surge-controller.ts). The alarm stops when
 * the fleet is idle; the next snapshot read, which every isolate makes every few
 * seconds while it serves traffic, starts it again.
 */
export class TierConfig extends SqliteObject {
  #lastLoad: FleetLoad | null = null;
  /** In memory: after a restart the calm period starts again, which only delays a release. */
  #calmSince: number | null = null;

  async snapshot(): Promise<TierConfigSnapshot> {
    const snapshot = this.#snapshot();
    if (snapshot.surgeMode === 'auto') await this.#watch();
    return snapshot;
  }

  #snapshot(): TierConfigSnapshot {
    const entries = new Map(this.db.select().from(configEntries).all().map((row) => [row.key, row]));
    const read = <T>(key: string): Partial<T> => {
      const raw = entries.get(key)?.value;
      return raw ? (JSON.parse(raw) as Partial<T>) : {};
    };
    const state = surgeStateOf(read<SurgeState & { enabled: boolean }>('surge'));
    const surge = state.mode === 'on' || (state.mode === 'auto' && state.engaged);
    const base = Object.fromEntries(TIERS.map((tier) => [tier, { ...DEFAULT_TIER_LIMITS[tier], ...read<TierLimits>(`tier:${tier}`) }])) as Record<Tier, TierLimits>;
    const tiers = Object.fromEntries(TIERS.map((tier) => [tier, surge ? applySurge(base[tier], SURGE_PROFILE[tier]) : base[tier]])) as Record<Tier, TierLimits>;
    const version = Math.max(0, ...[...entries.values()].map((row) => row.updatedAt));
    return { version, surge, surgeMode: state.mode, tiers, base, surgeProfile: { ...SURGE_PROFILE }, signup: { ...DEFAULT_SIGNUP_LIMITS, ...read<SignupLimits>('signup') } };
  }

  /** Changes some of a tier's limits; fields left out keep their value. */
  async setTier(tier: Tier, patch: Partial<TierLimits>): Promise<TierConfigSnapshot> {
    const current = this.#snapshot().base[tier];
    const changed = Object.fromEntries(Object.entries({ ...current, ...patch }).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(DEFAULT_TIER_LIMITS[tier][key as keyof TierLimits])));
    this.#put(`tier:${tier}`, changed);
    return this.snapshot();
  }

  /** Back to the defaults of gateway/limits.ts. */
  async resetTier(tier: Tier): Promise<TierConfigSnapshot> {
    this.#put(`tier:${tier}`, {});
    return this.snapshot();
  }

  /** Pins surge on or off, or (`auto`) hands it back to the controller, which starts from released. */
  async setSurgeMode(mode: SurgeMode): Promise<TierConfigSnapshot> {
    const before = this.#snapshot().surge;
    this.#put('surge', { mode, engaged: false } satisfies SurgeState);
    this.#calmSince = null;
    const after = this.#snapshot();
    const reason = mode === 'auto' ? 'unpinned by an admin: the controller decides' : `pinned ${mode} by an admin`;
    this.#recordChange(after.surge, mode, 'admin', null, `${reason}${before === after.surge ? '' : after.surge ? ' (surge engaged)' : ' (surge released)'}`);
    return this.snapshot();
  }

  async setSurgeController(patch: Partial<SurgeControllerSettings>): Promise<SurgeControllerSettings> {
    this.#put('surge-controller', { ...this.#storedControllerPatch(), ...patch });
    if (this.#surgeState().mode === 'auto') await this.#watch();
    return this.#controllerSettings();
  }

  async surgeStatus(historyLimit = 50): Promise<SurgeStatus> {
    const state = this.#surgeState();
    const history = this.db.select().from(surgeChanges).orderBy(desc(surgeChanges.seq)).limit(historyLimit).all();
    return {
      surge: this.#snapshot().surge,
      mode: state.mode,
      engaged: state.engaged,
      settings: this.#controllerSettings(),
      load: this.#lastLoad,
      calmSince: this.#calmSince,
      history: history.map(({ seq: _seq, ...change }) => change),
    };
  }

  /** One controller step (see the class comment). */
  override async alarm(): Promise<void> {
    if (this.#surgeState().mode !== 'auto') return;
    const settings = this.#controllerSettings();
    const reports = await shardReports(this.env);
    const now = Date.now();
    const load = fleetLoad(reports, now);
    this.#lastLoad = load;
    // An admin may have pinned surge while the shards answered.
    const state = this.#surgeState();
    if (state.mode !== 'auto') return;
    const decision = decideSurge(state.engaged, this.#calmSince, load, settings, now);
    this.#calmSince = decision.calmSince;
    if (decision.change) {
      this.#put('surge', { mode: 'auto', engaged: decision.engaged } satisfies SurgeState);
      this.#recordChange(decision.engaged, 'auto', 'controller', decision.change, decision.change.reason);
    }
    if (decision.engaged || load.freeBacklog > 0 || load.paidWaitMs > 0) await this.ctx.storage.setAlarm(now + settings.pollMs);
  }

  /** Starts the controller's alarm, or brings it forward to one poll interval from now (after a shorter interval is set). */
  async #watch(): Promise<void> {
    const next = Date.now() + this.#controllerSettings().pollMs;
    const at = await this.ctx.storage.getAlarm();
    if (at === null || at > next) await this.ctx.storage.setAlarm(next);
  }

  #surgeState(): SurgeState {
    const raw = this.db.select().from(configEntries).all().find((row) => row.key === 'surge')?.value;
    return surgeStateOf(raw ? (JSON.parse(raw) as Partial<SurgeState & { enabled: boolean }>) : {});
  }

  #storedControllerPatch(): Partial<SurgeControllerSettings> {
    const raw = this.db.select().from(configEntries).all().find((row) => row.key === 'surge-controller')?.value;
    return raw ? (JSON.parse(raw) as Partial<SurgeControllerSettings>) : {};
  }

  /** The vars' settings with what an admin changed at run time. */
  #controllerSettings(): SurgeControllerSettings {
    return { ...config(this.env).surge, ...this.#storedControllerPatch() };
  }

  #recordChange(surge: boolean, mode: SurgeMode, cause: 'controller' | 'admin', why: SurgeChangeReason | null, reason: string): void {
    const at = Date.now();
    this.db.insert(surgeChanges).values({ at, surge, mode, cause, metric: why?.metric ?? null, value: why?.value ?? null, threshold: why?.threshold ?? null, reason }).run();
    console.log(JSON.stringify({ level: 'info', message: surge ? 'surge engaged' : 'surge released', mode, cause, metric: why?.metric, value: why?.value, threshold: why?.threshold, reason }));
  }

  async setSignup(patch: Partial<SignupLimits>): Promise<TierConfigSnapshot> {
    const current = this.#snapshot().signup;
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

/** The stored surge entry; `{enabled}` is what an admin's switch stored before the controller existed. */
function surgeStateOf(stored: Partial<SurgeState & { enabled: boolean }>): SurgeState {
  if (stored.mode) return { mode: stored.mode, engaged: stored.engaged === true };
  return { mode: stored.enabled === true ? 'on' : 'auto', engaged: false };
}

export function tierConfigStub(env: Env): DurableObjectStub<TierConfig> {
  return env.TIER_CONFIG.get(env.TIER_CONFIG.idFromName('global'));
}
