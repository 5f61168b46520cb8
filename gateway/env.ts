import type { QueueShard } from './objects/queue-shard.js';
import type { Tenant } from './objects/tenant.js';
import type { Tier } from './tiers.js';

/** Bindings declared in wrangler.toml, plus secrets from `.dev.vars` or `wrangler secret put`. */
export interface Env {
  TENANT: DurableObjectNamespace<Tenant>;
  QUEUE_SHARD: DurableObjectNamespace<QueueShard>;
  IMAGES: R2Bucket;
  /** Bearer secret of the admin API. */
  ADMIN_SECRET: string;
  /** Shared HMAC secret that origin workers sign /internal calls with. */
  ORIGIN_SECRET: string;
  /** How many QueueShard objects new jobs spread over. */
  QUEUE_SHARDS?: string;
  /** How long a sync request waits for its job before answering 202 (ms). */
  SYNC_WAIT_MS?: string;
  /** How long a lease lives without a heartbeat (ms). */
  LEASE_TTL_MS?: string;
  /** Attempts before a job fails for good. */
  MAX_ATTEMPTS?: string;
  /** Free requests run synchronously while their estimated wait is below this (ms); above it they are deferred (202). */
  FREE_SYNC_MAX_WAIT_MS?: string;
  /** Least share of leases free jobs get while any are queued (aging), 0–1. */
  FREE_MIN_SHARE?: string;
  /** Assumed milliseconds per job before a shard has measured its throughput. */
  ADMISSION_DEFAULT_JOB_MS?: string;
  /** Queued free jobs one shard holds before refusing with 503. */
  QUEUE_LIMIT_FREE?: string;
  /** Queued jobs of each paid tier one shard holds before refusing with 503. */
  QUEUE_LIMIT_PAID?: string;
  /** Key of signed image URLs (`response_format: "url"`); derived from ORIGIN_SECRET when unset. */
  URL_SIGNING_SECRET?: string;
  /** Root of per-tenant webhook secrets; derived from ORIGIN_SECRET when unset. */
  WEBHOOK_SIGNING_SECRET?: string;
  /** Comma-separated hosts webhooks may reach although internal (local development only). */
  WEBHOOK_ALLOWED_HOSTS?: string;
}

/** The one generic that types the whole Hono app. */
export type AppEnv = {
  Bindings: Env;
  Variables: {
    tenant: AuthenticatedTenant;
  };
};

export interface AuthenticatedTenant {
  id: string;
  tier: Tier;
  keyId: string;
}

/** Reads a numeric var with a default, refusing nonsense at startup rather than mid-request. */
export function numberVar(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`invalid numeric var: ${value}`);
  return parsed;
}
