// The gateway's numeric and enumerated vars, parsed and checked once per Env
// object (an isolate's bindings; tests pass their own). A bad value fails the
// first request that reads the config, naming the variable, instead of turning
// into NaN somewhere mid-request.
import type { Env } from './env.js';
import { webhookAllowedHosts } from './webhooks.js';
import { DEFAULT_MODEL_ALIASES, DEFAULT_PACK_ID, MODEL_ID_PATTERN } from '../protocol/models.js';
import { TIERS, type Tier } from '../protocol/tiers.js';

const TRUSTED_CLIENT_IP_HEADERS = ['cf-connecting-ip', 'x-forwarded-for', 'x-real-ip', 'none'] as const;

export interface GatewayConfig {
  /** How many QueueShard objects new jobs spread over. */
  queueShards: number;
  /** The most shards any job id may name (at least queueShards). */
  queueShardsMax: number;
  leaseTtlMs: number;
  maxAttempts: number;
  /** The longest `Prefer: wait=N` a generation request is held before its 202. */
  syncWaitMs: number;
  /** A held request (no async opt-in) sends nothing this long, so an early failure keeps its real status. */
  holdSilentMs: number;
  /** After the 200 went out, a held request writes a space this often. */
  holdKeepAliveMs: number;
  /** The longest a request is held; admission refuses (503) a job estimated to take longer. */
  holdMaxMs: number;
  /** False under `ADMISSION=off`: every request is synchronous. */
  admission: boolean;
  /** False under `TENANT_FAIRNESS=off`: within a tier, jobs are leased oldest first whoever sent them. */
  tenantFairness: boolean;
  freeSyncMaxWaitMs: number;
  /** 0–1. */
  freeMinShare: number;
  admissionDefaultJobMs: number;
  queueLimitFree: number;
  queueLimitPaid: number;
  trustedClientIpHeader: (typeof TRUSTED_CLIENT_IP_HEADERS)[number];
  trustedProxyHops: number;
  /** Hosts webhooks may reach although internal, lowercase. */
  webhookAllowedHosts: string[];
  /** Base URLs of the origin APIs, without trailing slashes. */
  originApiUrls: string[];
  models: ModelCatalog;
  /** The surge controller's defaults (an admin may override them at run time, see TierConfig). */
  surge: SurgeControllerSettings;
  /** The capacity answer's wait each tier's queue should drain within (ms). */
  targetWaitMs: Record<Tier, number>;
  capacityMinWorkers: number;
  capacityMaxWorkers: number;
  /** Slots assumed per worker while none has announced itself. */
  capacitySlotsPerWorker: number;
  /** A worker unheard of (no lease call, no heartbeat) for this long has left. */
  workerExpiryMs: number;
}

/** When surge engages and when it lets go. */
export interface SurgeControllerSettings {
  /** Engage when a paid job has waited this long in a queue (ms). */
  paidWaitMs: number;
  /** Engage when this many free jobs are queued across every shard. */
  freeBacklog: number;
  /** Let go only once both measures stay below this fraction of their thresholds… */
  releaseRatio: number;
  /** …for this long (ms). */
  calmMs: number;
  /** How often the controller reads the shards while it has something to watch (ms). */
  pollMs: number;
}

const DEFAULT_TARGET_WAIT_MS: Record<Tier, number> = { free: 60_000, plus: 20_000, pro: 10_000, enterprise: 5_000 };

/** `free=60000,pro=10000`: tiers left out keep their default. */
function targetWaits(raw: string | undefined): Record<Tier, number> {
  const waits = { ...DEFAULT_TARGET_WAIT_MS };
  for (const part of (raw ?? '').split(',').map((entry) => entry.trim()).filter(Boolean)) {
    const [tier, ms] = part.split('=').map((side) => side.trim());
    const value = Number(ms);
    if (!(TIERS as readonly string[]).includes(tier ?? '') || !Number.isFinite(value) || value <= 0) {
      throw new ConfigError(`CAPACITY_TARGET_WAIT_MS must be a comma-separated list of <tier>=<milliseconds above 0> (tiers: ${TIERS.join(', ')}); got "${raw}"`);
    }
    waits[tier as Tier] = value;
  }
  return waits;
}

/** The model names a request may send: every pack's own id, and the aliases of LUMEN_MODEL_ALIASES. */
export interface ModelCatalog {
  /** What a request without `model` renders with. */
  defaultPack: string;
  /** Every pack an alias names, the default first. */
  packs: string[];
  /** Alias to pack id, in the order configured. */
  aliases: ReadonlyMap<string, string>;
}

/** Thrown for a var that cannot be used; the message names it and says what it must be. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type NumericVar =
  | 'QUEUE_SHARDS'
  | 'QUEUE_SHARDS_MAX'
  | 'LEASE_TTL_MS'
  | 'MAX_ATTEMPTS'
  | 'SYNC_WAIT_MS'
  | 'HOLD_SILENT_MS'
  | 'HOLD_KEEPALIVE_MS'
  | 'HOLD_MAX_MS'
  | 'FREE_SYNC_MAX_WAIT_MS'
  | 'FREE_MIN_SHARE'
  | 'ADMISSION_DEFAULT_JOB_MS'
  | 'QUEUE_LIMIT_FREE'
  | 'QUEUE_LIMIT_PAID'
  | 'TRUSTED_PROXY_HOPS'
  | 'SURGE_PAID_WAIT_MS'
  | 'SURGE_FREE_BACKLOG'
  | 'SURGE_RELEASE_RATIO'
  | 'SURGE_CALM_MS'
  | 'SURGE_POLL_MS'
  | 'CAPACITY_MIN_WORKERS'
  | 'CAPACITY_MAX_WORKERS'
  | 'CAPACITY_SLOTS_PER_WORKER'
  | 'WORKER_EXPIRY_MS';

function numberOf(env: Env, name: NumericVar, fallback: number, { min = Number.MIN_VALUE, max = Infinity, integer = false } = {}): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  const kind = integer ? 'an integer' : 'a number';
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const range = max === Infinity ? (min === Number.MIN_VALUE ? 'above 0' : `of at least ${min}`) : `from ${min} to ${max}`;
    throw new ConfigError(`${name} must be ${kind} ${range}; got "${raw}"`);
  }
  return value;
}

function parse(env: Env): GatewayConfig {
  const queueShards = numberOf(env, 'QUEUE_SHARDS', 4, { min: 1, integer: true });
  const header = (env.TRUSTED_CLIENT_IP_HEADER ?? 'none').trim().toLowerCase();
  if (!(TRUSTED_CLIENT_IP_HEADERS as readonly string[]).includes(header)) {
    throw new ConfigError(`TRUSTED_CLIENT_IP_HEADER must be one of ${TRUSTED_CLIENT_IP_HEADERS.join(', ')}; got "${env.TRUSTED_CLIENT_IP_HEADER}"`);
  }
  for (const name of ['ADMISSION', 'TENANT_FAIRNESS'] as const) {
    const value = env[name];
    if (value !== undefined && value !== '' && value !== 'on' && value !== 'off') throw new ConfigError(`${name} must be "on" or "off"; got "${value}"`);
  }
  const minWorkers = numberOf(env, 'CAPACITY_MIN_WORKERS', 0, { min: 0, integer: true });
  return {
    queueShards,
    queueShardsMax: Math.max(queueShards, numberOf(env, 'QUEUE_SHARDS_MAX', queueShards, { min: 1, integer: true })),
    leaseTtlMs: numberOf(env, 'LEASE_TTL_MS', 10_000),
    maxAttempts: numberOf(env, 'MAX_ATTEMPTS', 3, { min: 1, integer: true }),
    syncWaitMs: numberOf(env, 'SYNC_WAIT_MS', 120_000),
    ...holdOf(env),
    admission: env.ADMISSION !== 'off',
    tenantFairness: env.TENANT_FAIRNESS !== 'off',
    freeSyncMaxWaitMs: numberOf(env, 'FREE_SYNC_MAX_WAIT_MS', 10_000),
    freeMinShare: numberOf(env, 'FREE_MIN_SHARE', 0.1, { min: 0, max: 1 }),
    admissionDefaultJobMs: numberOf(env, 'ADMISSION_DEFAULT_JOB_MS', 2_000),
    queueLimitFree: Math.floor(numberOf(env, 'QUEUE_LIMIT_FREE', 5_000)),
    queueLimitPaid: Math.floor(numberOf(env, 'QUEUE_LIMIT_PAID', 1_000)),
    trustedClientIpHeader: header as GatewayConfig['trustedClientIpHeader'],
    trustedProxyHops: numberOf(env, 'TRUSTED_PROXY_HOPS', 1, { min: 1, integer: true }),
    webhookAllowedHosts: webhookAllowedHosts(env),
    originApiUrls: (env.ORIGIN_API_URLS ?? '')
      .split(',')
      .map((url) => url.trim().replace(/\/+$/, ''))
      .filter(Boolean),
    models: modelCatalog(env.LUMEN_MODEL_ALIASES),
    surge: {
      paidWaitMs: numberOf(env, 'SURGE_PAID_WAIT_MS', 30_000),
      freeBacklog: numberOf(env, 'SURGE_FREE_BACKLOG', 2_000, { min: 1, integer: true }),
      releaseRatio: numberOf(env, 'SURGE_RELEASE_RATIO', 0.5, { max: 1 }),
      calmMs: numberOf(env, 'SURGE_CALM_MS', 120_000, { min: 0 }),
      pollMs: numberOf(env, 'SURGE_POLL_MS', 5_000, { min: 50 }),
    },
    targetWaitMs: targetWaits(env.CAPACITY_TARGET_WAIT_MS),
    capacityMinWorkers: minWorkers,
    capacityMaxWorkers: Math.max(minWorkers, numberOf(env, 'CAPACITY_MAX_WORKERS', 1_000, { min: 1, integer: true })),
    capacitySlotsPerWorker: numberOf(env, 'CAPACITY_SLOTS_PER_WORKER', 1, { min: 1, integer: true }),
    workerExpiryMs: numberOf(env, 'WORKER_EXPIRY_MS', 60_000, { min: 100 }),
  };
}

/** LUMEN_MODEL_ALIASES: `alias=pack,alias=pack`; unset or empty means the OpenAI names of DEFAULT_MODEL_ALIASES, all on the default pack. */
function modelCatalog(raw: string | undefined): ModelCatalog {
  const entries = raw?.trim()
    ? raw.split(',').map((entry) => {
        const [alias = '', pack = '', extra] = entry.split('=').map((part) => part.trim());
        if (extra !== undefined || !MODEL_ID_PATTERN.test(alias) || !MODEL_ID_PATTERN.test(pack)) {
          throw new ConfigError(`LUMEN_MODEL_ALIASES must be a comma-separated list of alias=pack, each name 1–64 of A-Z a-z 0-9 . _ : / - ; got "${entry.trim()}"`);
        }
        return [alias, pack] as const;
      })
    : Object.entries(DEFAULT_MODEL_ALIASES);
  const aliases = new Map<string, string>();
  for (const [alias, pack] of entries) {
    if (aliases.has(alias)) throw new ConfigError(`LUMEN_MODEL_ALIASES names the alias "${alias}" twice`);
    aliases.set(alias, pack);
  }
  const packs = [...new Set([DEFAULT_PACK_ID, ...aliases.values()])];
  const shadowed = packs.find((pack) => aliases.has(pack));
  if (shadowed) throw new ConfigError(`LUMEN_MODEL_ALIASES uses "${shadowed}" both as an alias and as a pack id`);
  return { defaultPack: DEFAULT_PACK_ID, packs, aliases };
}

/** Below Cloudflare's 100 s idle cutoff, and the whole hold below the official SDK's 10-minute default timeout. */
function holdOf(env: Env): Pick<GatewayConfig, 'holdSilentMs' | 'holdKeepAliveMs' | 'holdMaxMs'> {
  const holdMaxMs = numberOf(env, 'HOLD_MAX_MS', 540_000);
  const holdSilentMs = numberOf(env, 'HOLD_SILENT_MS', 60_000);
  if (holdSilentMs > holdMaxMs) throw new ConfigError(`HOLD_SILENT_MS (${holdSilentMs}) must not exceed HOLD_MAX_MS (${holdMaxMs})`);
  return { holdSilentMs, holdKeepAliveMs: numberOf(env, 'HOLD_KEEPALIVE_MS', 10_000), holdMaxMs };
}

const parsed = new WeakMap<Env, GatewayConfig>();

/** The gateway's configuration for these bindings, parsed on first use and then remembered. */
export function config(env: Env): GatewayConfig {
  let found = parsed.get(env);
  if (!found) {
    found = parse(env);
    parsed.set(env, found);
  }
  return found;
}
