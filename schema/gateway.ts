// Tables of the gateway's Durable Objects (SQLite-backed). Each object class
// applies the same migrations and uses the tables it owns: a Tenant object
// holds `tenant`, `api_keys`, `rate_buckets`, `tenant_usage` and `job_slots`; a
// QueueShard holds `jobs` and `job_events`; TierConfig holds `config_entries`;
// a SignupShard holds `rate_buckets` and `signups`; PolicyStore holds `policy_versions` and
// `policy_overlays`; TierConfig also holds `surge_changes`.
import { index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const tenant = sqliteTable('tenant', {
  id: text('id').primaryKey(),
  tier: text('tier', { enum: ['free', 'plus', 'pro', 'enterprise'] }).notNull(),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
  /** JSON of a partial TierLimits an admin set for this tenant alone; it wins over the tier's. */
  limitsOverride: text('limits_override'),
  /** Given at self-serve signup, if at all. */
  email: text('email'),
  name: text('name'),
});

export const apiKeys = sqliteTable('api_keys', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** Hex SHA-256 of the key's secret part; the key itself is never stored. */
  secretHash: text('secret_hash').notNull(),
  createdAt: integer('created_at').notNull(),
  lastUsedAt: integer('last_used_at'),
  revokedAt: integer('revoked_at'),
});

/**
 * A self-serve signup, kept by the SignupShard that admitted it until the
 * tenant's own object adopts it at its key's first use: so a signup creates
 * no Tenant object, and signups that never come back never do.
 */
export const signups = sqliteTable('signups', {
  tenantId: text('tenant_id').primaryKey(),
  keyId: text('key_id').notNull(),
  /** Hex SHA-256 of the key's secret part, as in `api_keys`. */
  secretHash: text('secret_hash').notNull(),
  email: text('email'),
  name: text('name'),
  createdAt: integer('created_at').notNull(),
  /** When the Tenant object took the signup over; the row is pruned a day later. */
  adoptedAt: integer('adopted_at'),
});

export const jobs = sqliteTable(
  'jobs',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    tier: text('tier', { enum: ['free', 'plus', 'pro', 'enterprise'] }).notNull(),
    /** Higher is leased first. */
    priority: integer('priority').notNull(),
    /** JSON of the validated generation parameters. */
    params: text('params').notNull(),
    status: text('status', { enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'] }).notNull(),
    attempt: integer('attempt').notNull().default(0),
    leaseId: text('lease_id'),
    leaseWorker: text('lease_worker'),
    leaseExpiresAt: integer('lease_expires_at'),
    passesDone: integer('passes_done').notNull().default(0),
    /** JSON: the origin's state after its last finished pass. */
    checkpoint: text('checkpoint'),
    /** JSON: the stored images and usage once succeeded. */
    result: text('result'),
    /** JSON: the failure reason once failed. */
    error: text('error'),
    /** Where to POST the outcome (Standard Webhooks), if the request asked for it. */
    webhookUrl: text('webhook_url'),
    /** W3C traceparent of the gateway's span for this job: the origin's spans join its trace. */
    traceparent: text('traceparent'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (table) => [
    index('jobs_by_status_priority').on(table.status, table.priority, table.createdAt),
    // A tenant's oldest queued job of a tier: the fair lease pick.
    index('jobs_by_status_priority_tenant').on(table.status, table.priority, table.tenantId, table.createdAt),
    index('jobs_by_lease_expiry').on(table.leaseExpiresAt),
  ],
);

export const jobEvents = sqliteTable(
  'job_events',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    jobId: text('job_id').notNull(),
    type: text('type').notNull(),
    data: text('data').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (table) => [index('job_events_by_job').on(table.jobId, table.seq)],
);

/** Idempotency-Key records of a shard, kept 24 h (Stripe semantics). */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    tenantId: text('tenant_id').notNull(),
    key: text('key').notNull(),
    /** Hex SHA-256 of the canonical request body: the same key with another body is refused. */
    bodyHash: text('body_hash').notNull(),
    jobId: text('job_id').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.key] }), index('idempotency_by_age').on(table.createdAt)],
);

/** Outbox of webhook deliveries, retried with backoff by the shard's alarm. */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    jobId: text('job_id').notNull(),
    url: text('url').notNull(),
    payload: text('payload').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    status: text('status', { enum: ['pending', 'delivered', 'failed'] }).notNull(),
    lastError: text('last_error'),
  },
  (table) => [index('webhooks_due').on(table.status, table.nextAttemptAt)],
);

/**
 * Token buckets of one object (a Tenant's `requests` and `images`, a
 * SignupShard's `global` and `ip:<address>`). A missing row is a full bucket.
 */
export const rateBuckets = sqliteTable(
  'rate_buckets',
  {
    name: text('name').primaryKey(),
    tokens: real('tokens').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (table) => [index('rate_buckets_by_age').on(table.updatedAt)],
);

/** A Tenant's counts per minute (`m:<epoch minute>`) and per day (`d:<epoch day>`). */
export const tenantUsage = sqliteTable('tenant_usage', {
  window: text('window').primaryKey(),
  requests: integer('requests').notNull().default(0),
  images: integer('images').notNull().default(0),
  /** Requests answered 429 in this window. */
  throttled: integer('throttled').notNull().default(0),
});

/** A Tenant's generation jobs holding a concurrency slot, until the job ends. */
export const jobSlots = sqliteTable('job_slots', {
  jobId: text('job_id').primaryKey(),
  acquiredAt: integer('acquired_at').notNull(),
});

/** The TierConfig object's settings: JSON values by key (`tier:<tier>`, `surge`, `signup`). */
export const configEntries = sqliteTable('config_entries', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/** Every change of surge mode, automatic or by an admin, with why: the surge controller's history. */
export const surgeChanges = sqliteTable('surge_changes', {
  seq: integer('seq').primaryKey({ autoIncrement: true }),
  at: integer('at').notNull(),
  /** Whether surge limits apply after this change. */
  surge: integer('surge', { mode: 'boolean' }).notNull(),
  /** `auto` (the controller decides), or pinned `on` / `off` by an admin. */
  mode: text('mode', { enum: ['auto', 'on', 'off'] }).notNull(),
  /** `controller` or `admin`. */
  cause: text('cause', { enum: ['controller', 'admin'] }).notNull(),
  /** The measure that decided it (`paid_wait_ms`, `free_backlog`, `calm_ms`), for controller changes. */
  metric: text('metric'),
  value: real('value'),
  threshold: real('threshold'),
  reason: text('reason').notNull(),
});

/** The PolicyStore's versions of the base safety policy; the highest version is live. */
export const policyVersions = sqliteTable('policy_versions', {
  version: integer('version').primaryKey(),
  /** JSON of the SafetyPolicy as validated on write. */
  policy: text('policy').notNull(),
  /** What the operator said the change was for, if anything. */
  note: text('note'),
  /** Strictly increasing over every write of the store (policies and overlays): what caches compare. */
  revision: integer('revision').notNull(),
  createdAt: integer('created_at').notNull(),
});

/** The PolicyStore's per-tenant overlays (stricter only). A cleared overlay keeps its row with `overlay` null, so its revision is not lost. */
export const policyOverlays = sqliteTable('policy_overlays', {
  tenantId: text('tenant_id').primaryKey(),
  /** JSON of the PolicyOverlay; null once cleared. */
  overlay: text('overlay'),
  /** Counts this tenant's overlay writes. */
  version: integer('version').notNull(),
  revision: integer('revision').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

export type JobRow = typeof jobs.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
