import type { PolicyStore } from './objects/policy-store.js';
import type { IdempotentLookup, QueueShard } from './objects/queue-shard.js';
import type { GatewayCounters } from './objects/gateway-counters.js';
import type { SignupShard } from './objects/signup-shard.js';
import type { RateSnapshot, Tenant } from './objects/tenant.js';
import type { TierConfig } from './objects/tier-config.js';
import type { WorkerRegistry } from './objects/worker-registry.js';
import type { TierLimits } from './limits.js';
import type { Tier } from '../protocol/tiers.js';

/** Bindings declared in wrangler.toml, plus secrets from `.dev.vars` or `wrangler secret put`. */
export interface Env {
  TENANT: DurableObjectNamespace<Tenant>;
  QUEUE_SHARD: DurableObjectNamespace<QueueShard>;
  /** The one object holding live tier limits, surge mode and the signup rate (read through an isolate cache). */
  TIER_CONFIG: DurableObjectNamespace<TierConfig>;
  /** Per-IP counters for signup and failed auth, sharded by a hash of the IP. */
  SIGNUP_SHARD: DurableObjectNamespace<SignupShard>;
  /** The one object holding the versioned safety policy and per-tenant overlays (read through an isolate cache). */
  POLICY_STORE: DurableObjectNamespace<PolicyStore>;
  /** Counts of what isolates see (admissions by mode, 429s), batched by each isolate. */
  GATEWAY_COUNTERS: DurableObjectNamespace<GatewayCounters>;
  /** The origin workers that announced themselves in lease calls, and which of them drain. */
  WORKER_REGISTRY: DurableObjectNamespace<WorkerRegistry>;
  /** Optional Workers Analytics Engine dataset: every metric event is also written there. */
  METRICS?: AnalyticsEngineDataset;
  IMAGES: R2Bucket;
  /** Bearer secret of the admin API. */
  ADMIN_SECRET: string;
  /** Shared HMAC secret that origin workers sign /internal calls with. */
  ORIGIN_SECRET: string;
  /** How many QueueShard objects new jobs spread over. */
  QUEUE_SHARDS?: string;
  /** The largest QUEUE_SHARDS ever configured (default QUEUE_SHARDS): job ids naming a shard at or past it are 404s. Never lower it. */
  QUEUE_SHARDS_MAX?: string;
  /** Key of the tag in every API key that proves the gateway minted it; derived from ORIGIN_SECRET when unset. */
  KEY_SIGNING_SECRET?: string;
  /** Where the client's address comes from: `cf-connecting-ip`, `x-forwarded-for`, `x-real-ip` or `none` (the default). */
  TRUSTED_CLIENT_IP_HEADER?: string;
  /** With `x-forwarded-for`: how many trusted proxies append to it (default 1); the address is that many entries from the right. */
  TRUSTED_PROXY_HOPS?: string;
  /** The longest `Prefer: wait=N` holds a request before its 202 (ms). */
  SYNC_WAIT_MS?: string;
  /** How long a request that did not opt into async is held silently before its 200 goes out (ms; below Cloudflare's 100 s idle cutoff). */
  HOLD_SILENT_MS?: string;
  /** How often a held request writes a keep-alive space once its 200 went out (ms). */
  HOLD_KEEPALIVE_MS?: string;
  /** The longest a request is held (ms; below the official SDK's 10-minute timeout); a longer estimated wait is refused with 503. */
  HOLD_MAX_MS?: string;
  /** How long a lease lives without a heartbeat (ms). */
  LEASE_TTL_MS?: string;
  /** Attempts before a job fails for good. */
  MAX_ATTEMPTS?: string;
  /** "off" makes every request synchronous (no deferral), for comparison benchmarks. */
  ADMISSION?: string;
  /** `off` leases each tier's jobs oldest first, without sharing between tenants (for comparison benchmarks). */
  TENANT_FAIRNESS?: string;
  /** Free requests run synchronously while their estimated wait is below this (ms); above it they are deferred (queued behind paid work; 202 only with `Prefer: respond-async`). */
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
  /** Surge engages when a paid job has waited this long (ms, default 30000). */
  SURGE_PAID_WAIT_MS?: string;
  /** Surge engages when this many free jobs are queued across every shard (default 2000). */
  SURGE_FREE_BACKLOG?: string;
  /** Surge lets go once both measures stay below this fraction of their thresholds (default 0.5)… */
  SURGE_RELEASE_RATIO?: string;
  /** …for this long (ms, default 120000). */
  SURGE_CALM_MS?: string;
  /** How often the surge controller reads the shards while it watches (ms, default 5000). */
  SURGE_POLL_MS?: string;
  /** Per tier, the wait its queue should drain within, for GET /v1/admin/capacity: `free=60000,plus=20000,pro=10000,enterprise=5000`. */
  CAPACITY_TARGET_WAIT_MS?: string;
  /** Least and most workers the capacity answer asks for (default 0 and 1000). */
  CAPACITY_MIN_WORKERS?: string;
  CAPACITY_MAX_WORKERS?: string;
  /** Slots per worker assumed while no worker has announced itself (default 1). */
  CAPACITY_SLOTS_PER_WORKER?: string;
  /** A worker with no lease call and no heartbeat for this long has left (ms, default 60000). */
  WORKER_EXPIRY_MS?: string;
  /** Comma-separated base URLs of origin APIs (provenance verification, safety audit), e.g. `http://127.0.0.1:8790`. */
  ORIGIN_API_URLS?: string;
  /** Model names requests may send, as `alias=pack,alias=pack` (default: OpenAI's image model names, on the default pack). */
  LUMEN_MODEL_ALIASES?: string;
}

/** The one generic that types the whole Hono app. */
export type AppEnv = {
  Bindings: Env;
  Variables: {
    /** Set first by the requestId() middleware: the x-request-id of the response, for log lines. */
    requestId: string;
    tenant: AuthenticatedTenant;
    /** Set by the rateLimit() middleware: the tenant's buckets, written into the response's rate-limit headers. */
    rateLimit?: RateLimitState;
    /**
     * Set by the rateLimit() middleware on a submission: its request token is
     * left to the admission's one Tenant call (jobs/slots.ts), which clears this.
     * Still set when the request ended before admission, the middleware takes it then.
     */
    requestTokenAtAdmission?: { tiers: Record<Tier, TierLimits> };
    /** Set before the rate limit from a POST's Idempotency-Key: the key, checked, and the shard it hashes to. */
    idempotencyKey?: { key: string; shard: number };
    /** Set before the rate limit when a POST's Idempotency-Key already names a job: that job, and the body hash it was made with. */
    idempotentRetry?: Extract<IdempotentLookup, { outcome: 'recorded' }>;
  };
};

export interface RateLimitState {
  rate: RateSnapshot;
  /** The live tier limits this request was judged by. */
  tiers: Record<Tier, TierLimits>;
}

export interface AuthenticatedTenant {
  id: string;
  tier: Tier;
  keyId: string;
}

