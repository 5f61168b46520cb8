import { DurableObject } from 'cloudflare:workers';
import { and, asc, count, desc, eq, gt, isNotNull, lte, min, or, sql } from 'drizzle-orm';
import { jobEvents, jobs, type JobRow } from '../../schema/gateway.js';
import { numberVar, type Env } from '../env.js';
import type {
  Checkpoint,
  GenerationParams,
  JobError,
  JobResult,
  JobStatus,
  LeasedJob,
  StoredImage,
} from '../protocol/jobs.js';
import { TIER_PRIORITY, type Tier } from '../tiers.js';
import { MigratedDatabase, type GatewayDatabase } from './migrate.js';

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
  createdAt: number;
  updatedAt: number;
}

export interface EnqueueInput {
  id: string;
  tenantId: string;
  tier: Tier;
  params: GenerationParams;
}

const TERMINAL: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

export type LeaseCheck = { ok: true; tenantId: string } | { ok: false; reason: 'unknown_job' | 'stale_lease' };

/**
 * One shard of the durable job queue. Jobs are routed here by the shard index
 * written in their id, so no lookup table is needed. Lease order is tier
 * priority, then age; leases expire through the alarm when heartbeats stop.
 */
export class QueueShard extends DurableObject<Env> {
  readonly #storage: MigratedDatabase;
  /** Requests waiting on a job to finish (sync generations), by job id. */
  readonly #jobWaiters = new Map<string, Set<() => void>>();
  /** Long-polling lease calls waiting for any queued work. */
  readonly #workWaiters = new Set<() => void>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#storage = new MigratedDatabase(ctx);
  }

  get #db(): GatewayDatabase {
    return this.#storage.db;
  }

  get #leaseTtlMs(): number {
    return numberVar(this.env.LEASE_TTL_MS, 10_000);
  }

  get #maxAttempts(): number {
    return numberVar(this.env.MAX_ATTEMPTS, 3);
  }

  async enqueue(input: EnqueueInput): Promise<JobView> {
    const now = Date.now();
    this.#db
      .insert(jobs)
      .values({
        id: input.id,
        tenantId: input.tenantId,
        tier: input.tier,
        priority: TIER_PRIORITY[input.tier],
        params: JSON.stringify(input.params),
        status: 'queued',
        createdAt: now,
        updatedAt: now,
      })
      .run();
    this.#event(input.id, 'queued', {});
    this.#wakeWorkers();
    return this.#viewOf(this.#row(input.id)!);
  }

  /** The job, or null when it does not exist or belongs to another tenant. */
  async get(id: string, tenantId: string): Promise<JobView | null> {
    const row = this.#row(id);
    if (!row || row.tenantId !== tenantId) return null;
    return this.#viewOf(row);
  }

  /** Resolves once the job is finished, or with its current state after `timeoutMs`. */
  async waitForJob(id: string, timeoutMs: number): Promise<JobView | null> {
    const row = this.#row(id);
    if (!row) return null;
    if (!TERMINAL.includes(row.status)) {
      await this.#waitOn(this.#waitersFor(id), timeoutMs);
    }
    const latest = this.#row(id);
    return latest ? this.#viewOf(latest) : null;
  }

  /** Resolves true as soon as work is queued, or false after `timeoutMs`. */
  async waitForWork(timeoutMs: number): Promise<boolean> {
    if (this.#queuedCount() > 0) return true;
    await this.#waitOn(this.#workWaiters, timeoutMs);
    return this.#queuedCount() > 0;
  }

  /** Hands out up to `slots` queued jobs, highest priority first. Writes without an await in between commit atomically. */
  async lease(workerId: string, slots: number): Promise<LeasedJob[]> {
    const candidates = this.#db
      .select()
      .from(jobs)
      .where(eq(jobs.status, 'queued'))
      .orderBy(desc(jobs.priority), asc(jobs.createdAt))
      .limit(slots)
      .all();
    const now = Date.now();
    const ttl = this.#leaseTtlMs;
    const leased: LeasedJob[] = [];
    for (const row of candidates) {
      const leaseId = crypto.randomUUID();
      const attempt = row.attempt + 1;
      this.#db
        .update(jobs)
        .set({ status: 'running', attempt, leaseId, leaseWorker: workerId, leaseExpiresAt: now + ttl, updatedAt: now })
        .where(eq(jobs.id, row.id))
        .run();
      this.#event(row.id, 'leased', { attempt, workerId, resumeAfterPass: row.passesDone });
      leased.push({
        id: row.id,
        tenantId: row.tenantId,
        tier: row.tier,
        leaseId,
        attempt,
        leaseTtlMs: ttl,
        params: JSON.parse(row.params) as GenerationParams,
        passesDone: row.passesDone,
        checkpoint: row.checkpoint ? (JSON.parse(row.checkpoint) as Checkpoint) : null,
      });
    }
    if (leased.length > 0) await this.#scheduleExpiry();
    return leased;
  }

  /** Extends a lease and records progress; `keep: false` tells the worker to stop. */
  async heartbeat(id: string, leaseId: string, passesDone: number, checkpoint?: Checkpoint): Promise<{ keep: boolean }> {
    const row = this.#row(id);
    if (!row || row.status !== 'running' || row.leaseId !== leaseId) return { keep: false };
    const now = Date.now();
    const progressed = passesDone > row.passesDone;
    this.#db
      .update(jobs)
      .set({
        leaseExpiresAt: now + this.#leaseTtlMs,
        updatedAt: now,
        ...(progressed ? { passesDone, checkpoint: checkpoint ? JSON.stringify(checkpoint) : row.checkpoint } : {}),
      })
      .where(eq(jobs.id, id))
      .run();
    if (progressed) this.#event(id, 'progress', { passesDone });
    await this.#scheduleExpiry();
    return { keep: true };
  }

  /** Whether `leaseId` still holds the job; used before accepting uploads. */
  async checkLease(id: string, leaseId: string): Promise<LeaseCheck> {
    const row = this.#row(id);
    if (!row) return { ok: false, reason: 'unknown_job' };
    if (row.status !== 'running' || row.leaseId !== leaseId) return { ok: false, reason: 'stale_lease' };
    return { ok: true, tenantId: row.tenantId };
  }

  /** Finishes a job. A stale lease (expired, re-leased or cancelled) is refused, so no job completes twice. */
  async complete(id: string, leaseId: string, images: StoredImage[], usage: JobResult['usage']): Promise<LeaseCheck> {
    const check = await this.checkLease(id, leaseId);
    if (!check.ok) return check;
    const result: JobResult = { images, usage };
    this.#finish(id, 'succeeded', { result: JSON.stringify(result) });
    this.#event(id, 'completed', { images: images.length });
    return check;
  }

  /** Records a failure: retryable ones go back to the queue until the attempts run out. */
  async fail(id: string, leaseId: string, error: JobError, retryable: boolean): Promise<LeaseCheck> {
    const check = await this.checkLease(id, leaseId);
    if (!check.ok) return check;
    const row = this.#row(id)!;
    if (retryable && row.attempt < this.#maxAttempts) {
      this.#requeue(row, error.message);
    } else {
      this.#finish(id, 'failed', { error: JSON.stringify(error) });
      this.#event(id, 'failed', { ...error });
    }
    return check;
  }

  /** Expires leases whose heartbeats stopped. Safe to run twice: it only acts on leases already past expiry. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    const expired = this.#db
      .select()
      .from(jobs)
      .where(and(eq(jobs.status, 'running'), isNotNull(jobs.leaseExpiresAt), lte(jobs.leaseExpiresAt, now)))
      .all();
    for (const row of expired) {
      if (row.attempt >= this.#maxAttempts) {
        const error: JobError = {
          message: `The job was interrupted ${row.attempt} times (worker stopped heartbeating) and will not be retried.`,
          code: 'attempts_exhausted',
          clientError: false,
        };
        this.#finish(row.id, 'failed', { error: JSON.stringify(error) });
        this.#event(row.id, 'failed', { ...error });
      } else {
        this.#requeue(row, 'lease expired');
      }
    }
    await this.#scheduleExpiry();
  }

  #requeue(row: JobRow, reason: string): void {
    this.#db
      .update(jobs)
      .set({ status: 'queued', leaseId: null, leaseWorker: null, leaseExpiresAt: null, updatedAt: Date.now() })
      .where(eq(jobs.id, row.id))
      .run();
    this.#event(row.id, 'requeued', { reason, attempt: row.attempt, resumeAfterPass: row.passesDone });
    this.#wakeWorkers();
  }

  #finish(id: string, status: JobStatus, fields: Partial<Pick<JobRow, 'result' | 'error'>>): void {
    this.#db
      .update(jobs)
      .set({ status, leaseId: null, leaseWorker: null, leaseExpiresAt: null, updatedAt: Date.now(), ...fields })
      .where(eq(jobs.id, id))
      .run();
    const waiters = this.#jobWaiters.get(id);
    this.#jobWaiters.delete(id);
    for (const wake of waiters ?? []) wake();
  }

  async #scheduleExpiry(): Promise<void> {
    const next = this.#db
      .select({ at: min(jobs.leaseExpiresAt) })
      .from(jobs)
      .where(eq(jobs.status, 'running'))
      .get();
    if (next?.at) await this.ctx.storage.setAlarm(next.at);
  }

  #event(jobId: string, type: string, data: Record<string, unknown>): void {
    this.#db.insert(jobEvents).values({ jobId, type, data: JSON.stringify(data), createdAt: Date.now() }).run();
  }

  #row(id: string): JobRow | undefined {
    return this.#db.select().from(jobs).where(eq(jobs.id, id)).get();
  }

  #queuedCount(): number {
    return this.#db.select({ n: count() }).from(jobs).where(eq(jobs.status, 'queued')).get()?.n ?? 0;
  }

  #queuePosition(row: JobRow): number {
    const ahead = this.#db
      .select({ n: count() })
      .from(jobs)
      .where(
        and(
          eq(jobs.status, 'queued'),
          or(gt(jobs.priority, row.priority), and(eq(jobs.priority, row.priority), sql`${jobs.createdAt} < ${row.createdAt}`)),
        ),
      )
      .get();
    return ahead?.n ?? 0;
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
