import type { Env } from '../env.js';
import { emptyHistogram, observe, writeMetricEvent, type HistogramData } from '../metrics.js';
import { TIER_PRIORITY, TIERS, type Tier } from '../../protocol/tiers.js';

/** Lease-to-completion times remembered for the capacity estimate. */
const RUN_WINDOW = 64;
/** A worker not heard of for this long is dropped from a shard's memory (the registry decides who is listed). */
const WORKER_MEMORY_MS = 10 * 60_000;

export type JobEnding = 'succeeded' | 'failed' | 'cancelled';
export type WebhookResult = 'delivered' | 'retrying' | 'failed';

/** What one shard's queue holds of a tier right now. */
export interface TierQueue {
  queued: number;
  running: number;
  /** When the job queued longest entered the queue (its enqueue or its last requeue), or null. */
  oldestQueuedAt: number | null;
}

/** Counters since the shard object started (Prometheus handles the reset when it restarts). */
export interface ShardCounters {
  leases: Record<Tier, number>;
  /** Leases of a job that resumes from a checkpoint (a pass already done). */
  resumed: Record<Tier, number>;
  /** Leases whose heartbeats stopped and whose jobs the alarm took back. */
  expired: Record<Tier, number>;
  /** Jobs put back in the queue: `spent` cost an attempt (expiry, retryable failure), `free` did not (never delivered). */
  requeued: Record<Tier, { spent: number; free: number }>;
  /** Calls refused because their lease is no longer current (stale heartbeats, uploads, completions). */
  fenced: number;
  finished: Record<Tier, Record<JobEnding, number>>;
  webhooks: Record<WebhookResult, number>;
}

/** One shard's state and counters, for /v1/admin/metrics, /capacity, /workers and the surge controller. */
export interface ShardReport {
  at: number;
  tiers: Record<Tier, TierQueue & { estimatedWaitMs: number }>;
  /** The shard's measured time per completion (its share of the fleet's throughput). */
  perCompletionMs: number;
  /** Mean lease-to-completion time of recent jobs, null before any completed here. */
  jobRunMs: number | null;
  counters: ShardCounters;
  /** Enqueue (or requeue) to lease, seconds. */
  leaseLatency: Record<Tier, HistogramData>;
  /** Workers holding leases here or heard from lately: jobs held and last heartbeat. */
  workers: { id: string; held: number; lastHeartbeatAt: number | null }[];
}

function perTier<T>(make: () => T): Record<Tier, T> {
  return Object.fromEntries(TIERS.map((tier) => [tier, make()])) as Record<Tier, T>;
}

/**
 * A QueueShard's operational counters: leases, their latency, expiries,
 * requeues, fenced calls, job endings and webhook attempts. In memory: they
 * restart from zero with the object, which Prometheus' rate() expects of a
 * counter; every event also goes to Analytics Engine when it is configured.
 */
export class ShardMetrics {
  readonly #counters: ShardCounters = {
    leases: perTier(() => 0),
    resumed: perTier(() => 0),
    expired: perTier(() => 0),
    requeued: perTier(() => ({ spent: 0, free: 0 })),
    fenced: 0,
    finished: perTier(() => ({ succeeded: 0, failed: 0, cancelled: 0 })),
    webhooks: { delivered: 0, retrying: 0, failed: 0 },
  };
  readonly #leaseLatency = perTier(() => emptyHistogram());
  /** Lease time of each running job, for its run time when it completes. */
  readonly #leasedAt = new Map<string, number>();
  readonly #runMs: number[] = [];
  readonly #lastHeartbeat = new Map<string, number>();

  constructor(private readonly env: Pick<Env, 'METRICS'>) {}

  /** A job leased `waitedMs` after it entered the queue; `resumeAfterPass` > 0 means it resumes from a checkpoint. */
  leased(jobId: string, tier: Tier, waitedMs: number, resumeAfterPass: number, now: number): void {
    this.#counters.leases[tier]++;
    observe(this.#leaseLatency[tier], waitedMs / 1000);
    writeMetricEvent(this.env, 'lease', [tier], waitedMs / 1000);
    if (resumeAfterPass > 0) {
      this.#counters.resumed[tier]++;
      writeMetricEvent(this.env, 'lease_resumed', [tier]);
    }
    this.#leasedAt.set(jobId, now);
  }

  heartbeat(workerId: string | null, now: number): void {
    if (workerId !== null) this.#lastHeartbeat.set(workerId, now);
  }

  fenced(): void {
    this.#counters.fenced++;
    writeMetricEvent(this.env, 'lease_fenced', []);
  }

  expired(tier: Tier): void {
    this.#counters.expired[tier]++;
    writeMetricEvent(this.env, 'lease_expired', [tier]);
  }

  requeued(jobId: string, tier: Tier, attemptSpent: boolean): void {
    this.#counters.requeued[tier][attemptSpent ? 'spent' : 'free']++;
    this.#leasedAt.delete(jobId);
    writeMetricEvent(this.env, 'job_requeued', [tier, attemptSpent ? 'spent' : 'free']);
  }

  /** A job ended; a success also measures its run time (lease to completion). */
  finished(jobId: string, tier: Tier, ending: JobEnding, now: number): void {
    this.#counters.finished[tier][ending]++;
    const leasedAt = this.#leasedAt.get(jobId);
    this.#leasedAt.delete(jobId);
    if (ending === 'succeeded' && leasedAt !== undefined) {
      this.#runMs.push(now - leasedAt);
      if (this.#runMs.length > RUN_WINDOW) this.#runMs.shift();
    }
    writeMetricEvent(this.env, 'job_finished', [tier, ending]);
  }

  webhooks(results: readonly WebhookResult[]): void {
    for (const result of results) {
      this.#counters.webhooks[result]++;
      writeMetricEvent(this.env, 'webhook_attempt', [result]);
    }
  }

  /**
   * The report, from the shard's queue as it stands. A new job's estimated
   * wait is the work queued at its tier's priority or above times the time
   * per completion, as admission estimates it (aging and fairness aside).
   */
  report(queue: Record<Tier, TierQueue>, heldByWorker: Map<string, number>, perCompletionMs: number, now: number): ShardReport {
    for (const [worker, at] of this.#lastHeartbeat) if (now - at > WORKER_MEMORY_MS && !heldByWorker.has(worker)) this.#lastHeartbeat.delete(worker);
    const tiers = perTier(() => ({ queued: 0, running: 0, oldestQueuedAt: null as number | null, estimatedWaitMs: 0 }));
    for (const tier of TIERS) {
      const ahead = TIERS.filter((other) => TIER_PRIORITY[other] >= TIER_PRIORITY[tier]).reduce((sum, other) => sum + queue[other].queued, 0);
      tiers[tier] = { ...queue[tier], estimatedWaitMs: Math.round((ahead + 1) * perCompletionMs) };
    }
    const workerIds = new Set([...heldByWorker.keys(), ...this.#lastHeartbeat.keys()]);
    return {
      at: now,
      tiers,
      perCompletionMs,
      jobRunMs: this.#runMs.length === 0 ? null : this.#runMs.reduce((sum, ms) => sum + ms, 0) / this.#runMs.length,
      counters: structuredClone(this.#counters),
      leaseLatency: structuredClone(this.#leaseLatency),
      workers: [...workerIds].map((id) => ({ id, held: heldByWorker.get(id) ?? 0, lastHeartbeatAt: this.#lastHeartbeat.get(id) ?? null })),
    };
  }
}
