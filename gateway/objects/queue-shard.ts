import { and, asc, count, desc, eq, gt, inArray, isNotNull, lt, lte, min, sql } from 'drizzle-orm';
import { idempotencyKeys, jobEvents, jobs, webhookDeliveries, type JobRow } from '../../schema/gateway.js';
import { config, type GatewayConfig } from '../config.js';
import type { Env } from '../env.js';
import type {
  Checkpoint,
  CheckpointGrid,
  Completion,
  GenerationParams,
  JobError,
  JobResult,
  JobStatus,
  LeasedJob,
  StoredImage,
} from '../../protocol/jobs.js';
import { releaseJobSlot } from '../jobs/slots.js';
import { TIER_PRIORITY, TIERS, type Tier } from '../../protocol/tiers.js';
import { parseTraceparent } from '../../protocol/trace-context.js';
import { SqliteObject, type GatewayDatabase } from './migrate.js';
import { QueuedIndex } from './queued-index.js';
import { ShardMetrics, type JobEnding, type ShardReport, type TierQueue } from './shard-metrics.js';
import { Throughput } from './throughput.js';
import { WebhookOutbox } from './webhook-outbox.js';

/** What the public API may show of a job. */
export interface JobView {
  id: string;
  tenantId: string;
  tier: Tier;
  status: JobStatus;
  params: GenerationParams;
  attempt: number;
  passesDone: number;
  /** Jobs ahead of this one in lease order, while it is queued. */
  queuePosition: number | null;
  result: JobResult | null;
  error: JobError | null;
  /** The job's trace (W3C trace id), which its origin spans and log lines share. */
  traceId: string | null;
  createdAt: number;
  updatedAt: number;
}

/** Flat, so it crosses RPC and JSON unchanged. */
export type EventData = Record<string, string | number | boolean | null>;

/** A job error as flat event data (events hold no nested objects). */
function errorEventData({ message, code, clientError, moderation }: JobError): EventData {
  const data: EventData = { message, code, clientError };
  if (moderation) Object.assign(data, { moderationStage: moderation.stage, category: moderation.category, pass: moderation.pass, passesSkipped: moderation.passesSkipped });
  return data;
}

export interface JobEvent {
  seq: number;
  type: string;
  data: EventData;
  createdAt: number;
}

export interface EnqueueInput {
  id: string;
  tenantId: string;
  tier: Tier;
  params: GenerationParams;
  /** Most jobs of this tier this shard may hold queued; beyond it the request is refused. */
  queueLimit: number;
  idempotency?: { key: string; bodyHash: string };
  webhookUrl?: string;
  /** W3C traceparent of the gateway's span for this job (see gateway/tracing.ts). */
  traceparent?: string;
  /** The longest the caller can hold its client: a job estimated to take longer is refused (`too_slow`), not queued. */
  maxWaitMs?: number;
}

export type EnqueueResult =
  | { outcome: 'created' | 'replayed'; job: JobView; estimatedWaitMs: number }
  | { outcome: 'conflict'; jobId: string }
  | { outcome: 'full'; retryAfterMs: number }
  | { outcome: 'too_slow'; estimatedWaitMs: number };

/** An Idempotency-Key's record, looked up before any limit is applied to the request carrying it. */
export type IdempotentLookup =
  | { outcome: 'none' }
  | {
      outcome: 'recorded';
      /** What the first attempt's body hashed to: another hash is a 422, the same one a replay. */
      bodyHash: string;
      job: JobView;
      estimatedWaitMs: number;
    };

export interface JobFilter {
  id?: string;
  tenantId?: string;
  status?: JobStatus;
}

export interface WebhookDeliveryView {
  id: string;
  url: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
}

/** A job as the inspector shows it: the view, who holds its lease, and (when asked) its whole history. */
export interface InspectedJob {
  job: JobView;
  leaseWorker: string | null;
  webhookUrl: string | null;
  events: JobEvent[];
  webhooks: WebhookDeliveryView[];
}

export type LeaseCheck = { ok: true; tenantId: string } | { ok: false; reason: 'unknown_job' | 'stale_lease' };

export type CancelResult = { ok: true; job: JobView } | { ok: false; reason: 'not_found' | 'finished'; status?: JobStatus };

const TERMINAL: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

/**
 * The statements every submission, view and lease runs, built once per
 * object: building them with drizzle on every call was about a fifth of a
 * submission's CPU (bench/profile.ts).
 */
function hotStatements(db: GatewayDatabase) {
  const placeholder = sql.placeholder;
  return {
    rowById: db.select().from(jobs).where(eq(jobs.id, placeholder('id'))).prepare(),
    insertEvent: db
      .insert(jobEvents)
      .values({ jobId: placeholder('jobId'), type: placeholder('type'), data: placeholder('data'), createdAt: placeholder('createdAt') })
      .prepare(),
    insertJob: db
      .insert(jobs)
      .values({
        id: placeholder('id'),
        tenantId: placeholder('tenantId'),
        tier: placeholder('tier'),
        priority: placeholder('priority'),
        params: placeholder('params'),
        status: 'queued',
        webhookUrl: placeholder('webhookUrl'),
        traceparent: placeholder('traceparent'),
        createdAt: placeholder('createdAt'),
        updatedAt: placeholder('createdAt'),
      })
      .prepare(),
  };
}
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** Leases remembered to enforce the free tier's share of capacity. */
const SHARE_WINDOW = 50;
/**
 * Times a job may go back to the queue without spending an attempt because its
 * lease never reached a worker. A job that crashes its workers before they even
 * confirm it would otherwise loop forever; past this, such a loss costs an attempt.
 */
const MAX_FREE_RETURNS = 3;
/** A peek's rank when free work is owed its aging share: above every tier, so the sweep honours it across shards. */
const AGING_RANK = 100;
/** How long a departed lease session is remembered: longer than any lease call stays open (25 s). */
const DEPARTED_MEMORY_MS = 60_000;

/**
 * One shard of the durable job queue. Jobs are routed here by the shard index
 * written in their id. Lease order is tier priority then age, except that free
 * jobs are guaranteed a share of leases (aging). Leases expire through the
 * alarm when heartbeats stop; the same alarm runs the webhook outbox.
 */
export class QueueShard extends SqliteObject {
  /** Callers waiting on a job's next event (sync requests, SSE streams), by job id. */
  readonly #jobWaiters = new Map<string, Set<() => void>>();
  /** Long-polling lease calls waiting for any queued work. */
  readonly #workWaiters = new Set<() => void>();
  /** Measured time per completion, for admission's wait estimates. */
  readonly #throughput: Throughput;
  readonly #webhooks: WebhookOutbox;
  readonly #metrics: ShardMetrics;
  /** Tiers of recent leases, for the free tier's guaranteed share. */
  readonly #recentLeases: Tier[] = [];
  /**
   * Lease sessions (one per worker process) that said they are leaving, with when. In memory:
   * they matter only while a lease call of theirs may still be open, and those wait on this very object.
   */
  readonly #departed = new Map<string, number>();
  #queuedIndex: QueuedIndex | undefined;
  /**
   * Lease expiries that heartbeats extended since the lease's last durable write (its lease, confirmation or
   * checkpoint), by job id: a plain heartbeat writes nothing. Lost with the object, so a restart gives every
   * running lease one TTL from then (set in the constructor), after which a lease that nobody extends expires.
   */
  readonly #extendedLeases = new Map<string, { leaseId: string; expiresAt: number }>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Config is read on use, not here: a bad var then fails the call with its own message rather than the object's construction.
    this.#throughput = new Throughput(() => this.#config);
    this.#metrics = new ShardMetrics(env);
    this.#webhooks = new WebhookOutbox(() => this.db, () => this.#config, env.WEBHOOK_SIGNING_SECRET ?? env.ORIGIN_SECRET);
    // Runs after the base class's migration (blockConcurrencyWhile calls run in order).
    void ctx.blockConcurrencyWhile(async () => {
      try {
        this.#queuedIndex = new QueuedIndex(
          this.db.select({ priority: jobs.priority, tenantId: jobs.tenantId, createdAt: jobs.createdAt }).from(jobs).where(eq(jobs.status, 'queued')).all(),
          this.#config.tenantFairness,
        );
        const graceUntil = Date.now() + this.#leaseTtlMs;
        for (const row of this.db.select({ id: jobs.id, leaseId: jobs.leaseId }).from(jobs).where(eq(jobs.status, 'running')).all()) {
          if (row.leaseId !== null) this.#extendedLeases.set(row.id, { leaseId: row.leaseId, expiresAt: graceUntil });
        }
      } catch {
        // A failed migration is reported by `db` on every call; nothing to index then.
      }
    });
  }

  get #config(): GatewayConfig {
    return config(this.env);
  }

  get #leaseTtlMs(): number {
    return this.#config.leaseTtlMs;
  }

  /**
   * How long a lease lasts until its worker confirms it with a first heartbeat
   * (which a worker sends as soon as it has the job): a job handed to a worker
   * that had already gone comes back sooner than a full TTL. At least TTL/2,
   * so a worker that heartbeats only every TTL/3 still confirms in time.
   */
  get #leaseConfirmMs(): number {
    const ttl = this.#leaseTtlMs;
    return Math.min(ttl, Math.max(5_000, ttl / 2));
  }

  get #maxAttempts(): number {
    return this.#config.maxAttempts;
  }

  /**
   * The job an Idempotency-Key already names for this tenant, if any. Read-only
   * and cheap: the gateway asks before taking any token or slot, so a retry
   * costs nothing and gets the first attempt's job.
   */
  async findIdempotent(tenantId: string, key: string): Promise<IdempotentLookup> {
    const record = this.#idempotencyRecord(tenantId, key, Date.now());
    const row = record && this.#row(record.jobId);
    if (!record || !row) return { outcome: 'none' };
    return { outcome: 'recorded', bodyHash: record.bodyHash, job: this.#viewOf(row), estimatedWaitMs: this.#estimateWaitMs(row) };
  }

  /**
   * Admits a job: replays an idempotent retry, refuses when this tier's queue
   * is full, otherwise queues it. The idempotency check here settles a race
   * between two first attempts that both found no record.
   */
  async enqueue(input: EnqueueInput): Promise<EnqueueResult> {
    const now = Date.now();
    if (input.idempotency) {
      this.db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, now - IDEMPOTENCY_TTL_MS)).run();
      const existing = this.#idempotencyRecord(input.tenantId, input.idempotency.key, now);
      if (existing) {
        if (existing.bodyHash !== input.idempotency.bodyHash) return { outcome: 'conflict', jobId: existing.jobId };
        const row = this.#row(existing.jobId);
        if (row) return { outcome: 'replayed', job: this.#viewOf(row), estimatedWaitMs: this.#estimateWaitMs(row) };
        // The record outlived its job: forget it, so this attempt can take the key.
        this.db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.tenantId, input.tenantId), eq(idempotencyKeys.key, input.idempotency.key))).run();
      }
    }
    const queuedOfTier = this.#queued.count(TIER_PRIORITY[input.tier]);
    if (queuedOfTier >= input.queueLimit) {
      return { outcome: 'full', retryAfterMs: Math.max(1_000, this.#throughput.perJobMs() * Math.max(1, queuedOfTier / 10)) };
    }
    if (input.maxWaitMs !== undefined) {
      // The estimate the job would get once queued: everything ahead of a new job of its tier, plus itself.
      const estimatedWaitMs = Math.round((this.#queued.ahead({ priority: TIER_PRIORITY[input.tier], tenantId: input.tenantId, createdAt: now }) + 1) * this.#throughput.perJobMs());
      if (estimatedWaitMs > input.maxWaitMs) return { outcome: 'too_slow', estimatedWaitMs };
    }
    const row = this.ctx.storage.transactionSync(() => {
      this.#statements.insertJob.run({
        id: input.id,
        tenantId: input.tenantId,
        tier: input.tier,
        priority: TIER_PRIORITY[input.tier],
        params: JSON.stringify(input.params),
        webhookUrl: input.webhookUrl ?? null,
        traceparent: input.traceparent ?? null,
        createdAt: now,
      });
      if (input.idempotency) {
        this.db
          .insert(idempotencyKeys)
          .values({ tenantId: input.tenantId, key: input.idempotency.key, bodyHash: input.idempotency.bodyHash, jobId: input.id, createdAt: now })
          .run();
      }
      this.#event(input.id, 'queued', {});
      return this.#row(input.id)!;
    });
    this.#queued.add(row);
    this.#wakeWorkers();
    return { outcome: 'created', job: this.#viewOf(row), estimatedWaitMs: this.#estimateWaitMs(row) };
  }

  /** The job, or null when it does not exist or belongs to another tenant. */
  async get(id: string, tenantId: string): Promise<JobView | null> {
    const row = this.#row(id);
    if (!row || row.tenantId !== tenantId) return null;
    return this.#viewOf(row);
  }

  /**
   * The prompt and final token grid of image `index` of a finished job, for
   * an edit of it (`image_id`); null when the job does not exist, belongs to
   * another tenant, has not succeeded or has no such image.
   */
  async editSource(id: string, tenantId: string, index: number): Promise<{ prompt: string; seed: number; width: number; height: number; grid: CheckpointGrid } | null> {
    const row = this.#row(id);
    if (!row || row.tenantId !== tenantId || row.status !== 'succeeded' || !row.checkpoint) return null;
    const params = JSON.parse(row.params) as GenerationParams;
    const grid = (JSON.parse(row.checkpoint) as Checkpoint).grids[index];
    return grid ? { prompt: params.prompt, seed: params.seed + index, width: params.width, height: params.height, grid } : null;
  }

  /** Estimated milliseconds until the job finishes, from the work ahead of it and this shard's measured throughput. */
  async estimateWait(id: string): Promise<number | null> {
    const row = this.#row(id);
    return row ? this.#estimateWaitMs(row) : null;
  }

  /** Resolves once the job is finished, or with its current state after `timeoutMs`. */
  async waitForJob(id: string, timeoutMs: number): Promise<JobView | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const row = this.#row(id);
      if (!row) return null;
      const remaining = deadline - Date.now();
      if (TERMINAL.includes(row.status) || remaining <= 0) return this.#viewOf(row);
      await this.#waitOn(this.#waitersFor(id), remaining);
    }
  }

  /** Events after `afterSeq`, waiting up to `timeoutMs` for the first one if there are none yet. */
  async events(id: string, tenantId: string, afterSeq: number, timeoutMs: number): Promise<{ events: JobEvent[]; status: JobStatus } | null> {
    let row = this.#row(id);
    if (!row || row.tenantId !== tenantId) return null;
    let events = this.#eventsAfter(id, afterSeq);
    if (events.length === 0 && !TERMINAL.includes(row.status) && timeoutMs > 0) {
      await this.#waitOn(this.#waitersFor(id), timeoutMs);
      events = this.#eventsAfter(id, afterSeq);
      row = this.#row(id)!;
    }
    // Which worker leased a job is the operator's to know (the inspector), not the tenant's.
    return { events: events.map(({ data: { worker: _worker, ...data }, ...event }) => ({ ...event, data })), status: row.status };
  }

  /**
   * Resolves true as soon as work the caller may lease is queued, or false after
   * `timeoutMs`. A caller with no room for free jobs counts only paid work;
   * counting queued free jobs it cannot take would turn its long-poll into a spin.
   */
  async waitForWork(timeoutMs: number, includeFree = true, exceptTenants: readonly string[] = []): Promise<boolean> {
    const except = new Set(exceptTenants);
    const leasable = () => this.#queued.highestPriority(includeFree ? -Infinity : TIER_PRIORITY.free + 1, except) !== undefined;
    if (leasable()) return true;
    await this.#waitOn(this.#workWaiters, timeoutMs);
    return leasable();
  }

  /**
   * What `lease` would hand out next, without handing it out, so a lease sweep
   * over every shard can go first to the one whose next job matters most:
   * `rank` is the job's tier priority, or above every tier when it is free
   * work's aging turn; `tenantQueued` is how many jobs its tenant has waiting
   * here (a light tenant's job goes before a flood's). In memory only.
   */
  async peek(maxFree: number, exceptTenants: readonly string[] = []): Promise<{ rank: number; tenantQueued: number } | null> {
    const pick = this.#nextPick(maxFree, this.#config.freeMinShare, new Set(exceptTenants));
    if (!pick) return null;
    return { rank: pick.aging ? AGING_RANK : pick.priority, tenantQueued: pick.tenantId === undefined ? 0 : this.#queued.tenantCount(pick.priority, pick.tenantId) };
  }

  /**
   * The tier and tenant of the next job to lease: the highest priority, unless free work is owed its share; the least-served tenant within it.
   * Never a tenant in `except`; with anyone excepted, `tenantId` is always set.
   */
  #nextPick(freeLeft: number, freeShare: number, except: ReadonlySet<string>): { priority: number; tenantId: string | undefined; aging: boolean } | undefined {
    const freeLeases = this.#recentLeases.filter((tier) => tier === 'free').length;
    const aging = freeLeft > 0 && this.#queued.countOutside(TIER_PRIORITY.free, except) > 0 && this.#recentLeases.length > 0 && freeLeases / this.#recentLeases.length < freeShare;
    const priority = aging ? TIER_PRIORITY.free : this.#queued.highestPriority(freeLeft > 0 ? -Infinity : TIER_PRIORITY.free + 1, except);
    if (priority === undefined) return undefined;
    const tenantId = this.#queued.nextTenant(priority, except);
    if (except.size > 0 && tenantId === undefined) return undefined;
    return { priority, tenantId, aging };
  }

  /**
   * Hands out up to `slots` queued jobs: highest priority first, except that
   * when free jobs wait and got less than their share of recent leases, the
   * oldest free job goes next. Writes without an await in between commit atomically.
   */
  async lease(workerId: string, slots: number, maxFree = slots, session?: string, exceptTenants: readonly string[] = []): Promise<LeasedJob[]> {
    const except = new Set(exceptTenants);
    const now = Date.now();
    if (session !== undefined && this.#departed.has(session)) return [];
    const ttl = this.#leaseTtlMs;
    const freeShare = this.#config.freeMinShare;
    const leased: LeasedJob[] = [];
    let freeLeft = maxFree;
    this.ctx.storage.transactionSync(() => {
      for (let slot = 0; slot < slots; slot++) {
        const pick = this.#nextPick(freeLeft, freeShare, except);
        if (!pick) break;
        const { priority, tenantId } = pick;
        // The fallback to the oldest job of any tenant is for an index out of step with the table; it may not hand out an excepted tenant's job.
        const row = this.#oldestQueued(priority, tenantId) ?? (tenantId === undefined || except.size > 0 ? undefined : this.#oldestQueued(priority, undefined));
        if (!row) break;
        const leaseId = crypto.randomUUID();
        const attempt = row.attempt + 1;
        this.db
          .update(jobs)
          .set({ status: 'running', attempt, leaseId, leaseWorker: workerId, leaseExpiresAt: now + this.#leaseConfirmMs, updatedAt: now })
          .where(eq(jobs.id, row.id))
          .run();
        this.#event(row.id, 'leased', { attempt, resumeAfterPass: row.passesDone, worker: workerId });
        // A queued row's updatedAt is when it entered the queue: its enqueue or its last requeue.
        this.#metrics.leased(row.id, row.tier, now - row.updatedAt, row.passesDone, now);
        const params = JSON.parse(row.params) as GenerationParams;
        this.#queued.charge(row.priority, row.tenantId, workUnits(params));
        this.#queued.remove(row);
        if (row.tier === 'free') freeLeft--;
        this.#recentLeases.push(row.tier);
        if (this.#recentLeases.length > SHARE_WINDOW) this.#recentLeases.shift();
        leased.push({
          id: row.id,
          tenantId: row.tenantId,
          tier: row.tier,
          leaseId,
          attempt,
          leaseTtlMs: ttl,
          params,
          passesDone: row.passesDone,
          checkpoint: row.checkpoint ? (JSON.parse(row.checkpoint) as Checkpoint) : null,
          traceparent: row.traceparent,
        });
      }
    });
    if (leased.length > 0) await this.#scheduleAlarm();
    return leased;
  }

  /** A draining worker's goodbye: no lease call of `session` gets a job from here on, and waiting ones wake to find out. */
  async depart(session: string): Promise<void> {
    const now = Date.now();
    for (const [gone, at] of this.#departed) if (now - at > DEPARTED_MEMORY_MS) this.#departed.delete(gone);
    this.#departed.set(session, now);
    this.#wakeWorkers();
  }

  /**
   * Extends a lease and records progress; `keep: false` tells the worker to stop (expired, re-leased or cancelled).
   * The first heartbeat of a lease also confirms that its worker received it (see `alarm`). Only that one and a
   * checkpoint (more passes done) are written; any other heartbeat extends the lease in memory (`#extendedLeases`).
   */
  async heartbeat(id: string, leaseId: string, passesDone: number, checkpoint?: Checkpoint): Promise<{ keep: boolean }> {
    const row = this.#row(id);
    if (!row || row.status !== 'running' || row.leaseId !== leaseId) {
      this.#metrics.fenced();
      return { keep: false };
    }
    const now = Date.now();
    const expiresAt = now + this.#leaseTtlMs;
    this.#metrics.heartbeat(row.leaseWorker, now);
    const confirming = !this.#leaseConfirmed(row);
    const progressed = passesDone > row.passesDone;
    this.#extendedLeases.set(id, { leaseId, expiresAt });
    if (!confirming && !progressed) return { keep: true };
    this.ctx.storage.transactionSync(() => {
      if (confirming) this.ctx.storage.kv.put(confirmedKey(id), leaseId);
      this.db
        .update(jobs)
        .set({
          leaseExpiresAt: expiresAt,
          updatedAt: now,
          ...(progressed ? { passesDone, checkpoint: checkpoint ? JSON.stringify(checkpoint) : row.checkpoint } : {}),
        })
        .where(eq(jobs.id, id))
        .run();
      if (progressed) this.#event(id, 'progress', { passesDone });
    });
    return { keep: true };
  }

  /** Whether `leaseId` still holds the job; used before accepting uploads. */
  async checkLease(id: string, leaseId: string): Promise<LeaseCheck> {
    return this.#checkLease(id, leaseId);
  }

  /** `checkLease` for several jobs in one call, in order: before a completion stores the images it carries. */
  async checkLeases(leases: readonly { jobId: string; leaseId: string }[]): Promise<LeaseCheck[]> {
    return leases.map(({ jobId, leaseId }) => this.#checkLease(jobId, leaseId));
  }

  #checkLease(id: string, leaseId: string): LeaseCheck {
    const row = this.#row(id);
    if (!row) return { ok: false, reason: 'unknown_job' };
    if (row.status !== 'running' || row.leaseId !== leaseId) {
      this.#metrics.fenced();
      return { ok: false, reason: 'stale_lease' };
    }
    return { ok: true, tenantId: row.tenantId };
  }

  /**
   * Records a stored preview of one pass, for `partial_image` stream events.
   * Each (image, partial index) is recorded once per job, across attempts: a
   * resumed attempt that renders a pass again sends its preview again, and the
   * client must not receive it twice. A repeat is answered OK and records nothing.
   */
  async recordPreview(id: string, leaseId: string, preview: { key: string; pass: number; imageIndex: number; partialImageIndex: number }): Promise<LeaseCheck> {
    const check = this.#checkLease(id, leaseId);
    if (!check.ok) return check;
    const recorded = this.db
      .select({ data: jobEvents.data })
      .from(jobEvents)
      .where(and(eq(jobEvents.jobId, id), eq(jobEvents.type, 'partial_image')))
      .all()
      .map((event) => JSON.parse(event.data) as EventData);
    const repeat = recorded.some((data) => data.imageIndex === preview.imageIndex && data.partialImageIndex === preview.partialImageIndex);
    if (!repeat) this.#event(id, 'partial_image', { ...preview });
    return check;
  }

  /** Finishes one job; see `completeMany`. */
  async complete(jobId: string, leaseId: string, images: StoredImage[], usage: JobResult['usage']): Promise<LeaseCheck> {
    const [check] = await this.completeMany([{ jobId, leaseId, images, usage }]);
    return check!;
  }

  /**
   * Finishes jobs, each in its own right: a stale lease (expired, re-leased or cancelled) is refused, so no job
   * completes twice, and the others in the batch still complete. One transaction and one alarm update for all.
   */
  async completeMany(completions: readonly Completion[]): Promise<LeaseCheck[]> {
    const checks = this.ctx.storage.transactionSync(() =>
      completions.map(({ jobId, leaseId, images, usage }) => {
        const check = this.#checkLease(jobId, leaseId);
        if (!check.ok) return check;
        const result: JobResult = { images, usage };
        this.#finish(jobId, 'succeeded', { result: JSON.stringify(result) }, 'completed', { images: images.length });
        this.#throughput.recordCompletion();
        return check;
      }),
    );
    if (checks.some((check) => check.ok)) await this.#scheduleAlarm();
    return checks;
  }

  /** Records a failure: retryable ones go back to the queue until the attempts run out. */
  async fail(id: string, leaseId: string, error: JobError, retryable: boolean): Promise<LeaseCheck> {
    const check = this.#checkLease(id, leaseId);
    if (!check.ok) return check;
    const row = this.#row(id)!;
    if (retryable && row.attempt < this.#maxAttempts) {
      this.ctx.storage.transactionSync(() => this.#requeue(row, error.message, true));
    } else {
      this.ctx.storage.transactionSync(() => this.#finish(id, 'failed', { error: JSON.stringify(error) }, 'failed', errorEventData(error)));
      await this.#scheduleAlarm();
    }
    return check;
  }

  /** Cancels a queued job at once; a running one loses its lease, so its worker stops at the next pass. */
  async cancel(id: string, tenantId: string): Promise<CancelResult> {
    const row = this.#row(id);
    if (!row || row.tenantId !== tenantId) return { ok: false, reason: 'not_found' };
    if (TERMINAL.includes(row.status)) return { ok: false, reason: 'finished', status: row.status };
    const error: JobError = { message: 'The job was cancelled.', code: 'cancelled', clientError: true };
    this.ctx.storage.transactionSync(() => this.#finish(id, 'cancelled', { error: JSON.stringify(error) }, 'cancelled', { afterPass: row.passesDone }));
    await this.#scheduleAlarm();
    return { ok: true, job: this.#viewOf(this.#row(id)!) };
  }

  /**
   * Puts back a job whose lease never reached its worker (the lease call's
   * connection had closed when the job was taken for it), without spending an
   * attempt. Only the current, unconfirmed lease can be given back.
   */
  async returnUndelivered(id: string, leaseId: string): Promise<void> {
    const row = this.#row(id);
    if (!row || row.status !== 'running' || row.leaseId !== leaseId || this.#leaseConfirmed(row)) return;
    // Past the cap, the lease expires as any other and the alarm spends the attempt.
    if (this.#freeReturns(id) >= MAX_FREE_RETURNS) return;
    this.ctx.storage.transactionSync(() => this.#requeue(row, 'the worker hung up before it received the job', false));
    await this.#scheduleAlarm();
  }

  /**
   * Expires leases whose heartbeats stopped and delivers due webhooks (the outbox). Safe to run twice: it acts only on what is past due.
   * A lease that never heartbeated never reached a worker that could run it (the
   * worker hung up or died as it was handed out), so it goes back without spending
   * an attempt, up to MAX_FREE_RETURNS times per job.
   */
  override async alarm(): Promise<void> {
    const now = Date.now();
    const expired = this.db
      .select()
      .from(jobs)
      .where(and(eq(jobs.status, 'running'), isNotNull(jobs.leaseExpiresAt), lte(jobs.leaseExpiresAt, now)))
      .all()
      .filter((row) => this.#leaseExpiresAt(row) <= now);
    for (const row of expired) this.ctx.storage.transactionSync(() => this.#expire(row));
    this.#metrics.webhooks(await this.#webhooks.deliverDue(now, (jobId) => this.#row(jobId)?.tenantId));
    await this.#scheduleAlarm();
  }

  /** Takes back one lapsed lease: requeued (free of charge if it never reached its worker), or failed for good once its attempts are spent. */
  #expire(row: JobRow): void {
    this.#metrics.expired(row.tier);
    if (!this.#leaseConfirmed(row) && this.#freeReturns(row.id) < MAX_FREE_RETURNS) {
      this.#requeue(row, 'lease expired before its worker confirmed it', false);
    } else if (row.attempt >= this.#maxAttempts) {
      const error: JobError = {
        message: `The job was interrupted ${row.attempt} times (its worker stopped heartbeating) and will not be retried.`,
        code: 'attempts_exhausted',
        clientError: false,
      };
      this.#finish(row.id, 'failed', { error: JSON.stringify(error) }, 'failed', errorEventData(error));
    } else {
      this.#requeue(row, 'lease expired', true);
    }
  }

  /** When the row's lease lapses: its durable expiry, or later when heartbeats extended it in memory. */
  #leaseExpiresAt(row: Pick<JobRow, 'id' | 'leaseId' | 'leaseExpiresAt'>): number {
    const extended = this.#extendedLeases.get(row.id);
    const durable = row.leaseExpiresAt ?? Number.POSITIVE_INFINITY;
    return extended && extended.leaseId === row.leaseId ? Math.max(durable, extended.expiresAt) : durable;
  }

  /**
   * The ops console's job inspector: jobs matching `filter`, newest first, with the lease holder; `history` adds
   * every event and webhook delivery. Only the admin routes call this.
   */
  async inspect(filter: JobFilter, limit: number, history: boolean): Promise<InspectedJob[]> {
    const rows = this.db
      .select()
      .from(jobs)
      .where(
        and(
          filter.id === undefined ? undefined : eq(jobs.id, filter.id),
          filter.tenantId === undefined ? undefined : eq(jobs.tenantId, filter.tenantId),
          filter.status === undefined ? undefined : eq(jobs.status, filter.status),
        ),
      )
      .orderBy(desc(jobs.createdAt))
      .limit(limit)
      .all();
    return rows.map((row) => ({
      job: this.#viewOf(row),
      leaseWorker: row.leaseWorker,
      webhookUrl: row.webhookUrl,
      events: history ? this.#eventsAfter(row.id, 0) : [],
      webhooks: history
        ? this.db
            .select({ id: webhookDeliveries.id, url: webhookDeliveries.url, status: webhookDeliveries.status, attempts: webhookDeliveries.attempts, nextAttemptAt: webhookDeliveries.nextAttemptAt, lastError: webhookDeliveries.lastError })
            .from(webhookDeliveries)
            .where(eq(webhookDeliveries.jobId, row.id))
            .all()
        : [],
    }));
  }

  /** Queue state and counters for the admin metrics, capacity and workers routes and the surge controller. */
  async report(): Promise<ShardReport> {
    const now = Date.now();
    return this.#metrics.report(this.#queueByTier(), this.#leasesByWorker(), this.#throughput.perJobMs(now), now);
  }

  #queueByTier(): Record<Tier, TierQueue> {
    const queue = Object.fromEntries(TIERS.map((tier) => [tier, { queued: 0, running: 0, oldestQueuedAt: null }])) as Record<Tier, TierQueue>;
    const rows = this.db
      .select({ tier: jobs.tier, status: jobs.status, jobs: count(), since: min(jobs.updatedAt) })
      .from(jobs)
      .where(inArray(jobs.status, ['queued', 'running']))
      .groupBy(jobs.tier, jobs.status)
      .all();
    for (const row of rows) {
      if (row.status === 'queued') queue[row.tier] = { ...queue[row.tier], queued: row.jobs, oldestQueuedAt: row.since };
      else queue[row.tier].running = row.jobs;
    }
    return queue;
  }

  #leasesByWorker(): Map<string, number> {
    const rows = this.db.select({ worker: jobs.leaseWorker, held: count() }).from(jobs).where(eq(jobs.status, 'running')).groupBy(jobs.leaseWorker).all();
    return new Map(rows.filter((row): row is { worker: string; held: number } => row.worker !== null).map((row) => [row.worker, row.held]));
  }

  /** Gives up the job's lease and queues it again with its checkpoint; `attemptSpent: false` hands the attempt back. */
  #requeue(row: JobRow, reason: string, attemptSpent: boolean): void {
    this.db
      .update(jobs)
      .set({ status: 'queued', attempt: attemptSpent ? row.attempt : row.attempt - 1, leaseId: null, leaseWorker: null, leaseExpiresAt: null, updatedAt: Date.now() })
      .where(eq(jobs.id, row.id))
      .run();
    this.ctx.storage.kv.delete(confirmedKey(row.id));
    this.#extendedLeases.delete(row.id);
    this.#metrics.requeued(row.id, row.tier, attemptSpent);
    this.#queued.add(row);
    // Stream routes relay this, so a client's open stream learns its job is being resumed rather than stalled.
    this.#event(row.id, 'requeued', { reason, attempt: row.attempt, resumeAfterPass: row.passesDone, attemptSpent });
    this.#wakeWorkers();
  }

  /** Whether the worker holding the row's lease has heartbeated at least once, i.e. received the job. */
  #leaseConfirmed(row: JobRow): boolean {
    return row.leaseId !== null && this.ctx.storage.kv.get(confirmedKey(row.id)) === row.leaseId;
  }

  /** How often the job has gone back to the queue without spending an attempt: its event log says. */
  #freeReturns(id: string): number {
    return this.db
      .select({ data: jobEvents.data })
      .from(jobEvents)
      .where(and(eq(jobEvents.jobId, id), eq(jobEvents.type, 'requeued')))
      .all()
      .filter((event) => (JSON.parse(event.data) as EventData).attemptSpent === false).length;
  }

  #finish(id: string, status: JobStatus, fields: Partial<Pick<JobRow, 'result' | 'error'>>, eventType: string, eventData: EventData): void {
    const now = Date.now();
    const before = this.#row(id);
    if (before?.status === 'queued') this.#queued.remove(before);
    if (before) this.#metrics.finished(id, before.tier, status as JobEnding, now);
    this.db
      .update(jobs)
      .set({ status, leaseId: null, leaseWorker: null, leaseExpiresAt: null, updatedAt: now, ...fields })
      .where(eq(jobs.id, id))
      .run();
    this.ctx.storage.kv.delete(confirmedKey(id));
    this.#extendedLeases.delete(id);
    this.#event(id, eventType, eventData);
    const row = this.#row(id);
    // The tenant's concurrency slot is freed whatever the ending; releasing twice is harmless.
    if (row) this.ctx.waitUntil(releaseJobSlot(this.env, row.tenantId, id).catch((error: unknown) => console.error(JSON.stringify({ level: 'error', message: 'slot release failed', jobId: id, error: String(error) }))));
    if (row?.webhookUrl) {
      const payload = JSON.stringify({
        type: `image.generation.${status}`,
        timestamp: new Date(now).toISOString(),
        data: { id, status, error: row.error ? JSON.parse(row.error) : null, images: row.result ? (JSON.parse(row.result) as JobResult).images.length : 0 },
      });
      this.#webhooks.enqueue(id, row.webhookUrl, payload, now);
    }
  }

  /** One alarm serves lease expiry and webhook retries: set it to whichever is due first. */
  async #scheduleAlarm(): Promise<void> {
    const running = this.db.select({ id: jobs.id, leaseId: jobs.leaseId, leaseExpiresAt: jobs.leaseExpiresAt }).from(jobs).where(eq(jobs.status, 'running')).all();
    const lease = running.length === 0 ? undefined : Math.min(...running.map((row) => this.#leaseExpiresAt(row)));
    const webhook = this.#webhooks.nextDueAt();
    const next = [lease, webhook].filter((at): at is number => typeof at === 'number' && Number.isFinite(at));
    if (next.length > 0) await this.ctx.storage.setAlarm(Math.min(...next));
  }

  #event(jobId: string, type: string, data: EventData): void {
    this.#statements.insertEvent.run({ jobId, type, data: JSON.stringify(data), createdAt: Date.now() });
    const waiters = this.#jobWaiters.get(jobId);
    this.#jobWaiters.delete(jobId);
    for (const wake of waiters ?? []) wake();
  }

  #eventsAfter(jobId: string, afterSeq: number): JobEvent[] {
    return this.db
      .select()
      .from(jobEvents)
      .where(and(eq(jobEvents.jobId, jobId), gt(jobEvents.seq, afterSeq)))
      .orderBy(asc(jobEvents.seq))
      .all()
      .map((event) => ({ seq: event.seq, type: event.type, data: JSON.parse(event.data) as EventData, createdAt: event.createdAt }));
  }

  #row(id: string): JobRow | undefined {
    return this.#statements.rowById.get({ id });
  }

  #prepared: ReturnType<typeof hotStatements> | undefined;

  get #statements(): ReturnType<typeof hotStatements> {
    this.#prepared ??= hotStatements(this.db);
    return this.#prepared;
  }

  /** The queued-job index; built in the constructor, before any call can change the table under it. */
  get #queued(): QueuedIndex {
    if (!this.#queuedIndex) throw new Error('QueueShard used before its queued index was built');
    return this.#queuedIndex;
  }

  /** A live (younger than the TTL) record of `key` for `tenantId`. */
  #idempotencyRecord(tenantId: string, key: string, now: number) {
    const record = this.db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.tenantId, tenantId), eq(idempotencyKeys.key, key)))
      .get();
    return record && record.createdAt >= now - IDEMPOTENCY_TTL_MS ? record : undefined;
  }

  /** The oldest queued job of `priority`, of `tenantId` if given. */
  #oldestQueued(priority: number, tenantId: string | undefined): JobRow | undefined {
    const ofPriority = and(eq(jobs.status, 'queued'), eq(jobs.priority, priority));
    return this.db
      .select()
      .from(jobs)
      .where(tenantId === undefined ? ofPriority : and(ofPriority, eq(jobs.tenantId, tenantId)))
      .orderBy(asc(jobs.createdAt))
      .limit(1)
      .get();
  }

  #queuePosition(row: JobRow): number {
    return this.#queued.ahead(row);
  }

  #estimateWaitMs(row: JobRow): number {
    if (TERMINAL.includes(row.status)) return 0;
    const ahead = row.status === 'queued' ? this.#queuePosition(row) : 0;
    return Math.round((ahead + 1) * this.#throughput.perJobMs());
  }

  #viewOf(row: JobRow): JobView {
    return {
      id: row.id,
      tenantId: row.tenantId,
      tier: row.tier,
      status: row.status,
      params: JSON.parse(row.params) as GenerationParams,
      attempt: row.attempt,
      passesDone: row.passesDone,
      queuePosition: row.status === 'queued' ? this.#queuePosition(row) : null,
      result: row.result ? (JSON.parse(row.result) as JobResult) : null,
      error: row.error ? (JSON.parse(row.error) as JobError) : null,
      traceId: parseTraceparent(row.traceparent)?.traceId ?? null,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  #waitersFor(id: string): Set<() => void> {
    let waiters = this.#jobWaiters.get(id);
    if (!waiters) {
      waiters = new Set();
      this.#jobWaiters.set(id, waiters);
    }
    return waiters;
  }

  #wakeWorkers(): void {
    const waiters = [...this.#workWaiters];
    this.#workWaiters.clear();
    for (const wake of waiters) wake();
  }

  #waitOn(waiters: Set<() => void>, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      waiters.add(wake);
    });
  }
}

/**
 * Key (in the object's key-value storage) of the lease id that has heartbeated for a job.
 * Kept there rather than in the jobs table because it lives only as long as one lease.
 */
function confirmedKey(jobId: string): string {
  return `lease-confirmed:${jobId}`;
}

/** A job's work for fair sharing: its images' pixels, in megapixels of 1024². */
function workUnits(params: GenerationParams): number {
  return (params.n * params.width * params.height) / (1024 * 1024);
}
