// Lumen's metrics as one Prometheus exposition, from the shards' reports, the
// isolates' counters, the signup shards, the surge state and the workers.
import type { CapacityAnswer, WorkerView } from './fleet.js';
import { emptyHistogram, Exposition, mergeHistogram } from './metrics.js';
import { ADMISSIONS_METRIC, RATE_LIMITED_METRIC } from './middleware/request-metrics.js';
import { parseCounterKey, type CounterKey } from './objects/gateway-counters.js';
import type { ShardReport } from './objects/shard-metrics.js';
import type { SignupCounts } from './objects/signup-shard.js';
import type { SurgeMode } from './objects/surge-controller.js';
import { TIERS } from '../protocol/tiers.js';

export interface MetricsInput {
  now: number;
  /** By shard index; null for a shard that did not answer. */
  shards: readonly (ShardReport | null)[];
  requestCounts: Record<CounterKey, number>;
  /** By signup shard index. */
  signups: readonly (SignupCounts | null)[];
  surge: { surge: boolean; mode: SurgeMode };
  workers: readonly WorkerView[];
  capacity: CapacityAnswer;
}

const HELP: Record<string, string> = {
  [ADMISSIONS_METRIC]: 'Image requests admitted, by tier and mode (sync, deferred, async) or refused because the tier queue was full.',
  [RATE_LIMITED_METRIC]: 'Requests answered 429, by tier (none before authentication) and the limit that ran out.',
};

export function renderMetrics({ now, shards, requestCounts, signups, surge, workers, capacity }: MetricsInput): string {
  const out = new Exposition();
  out.declare(ADMISSIONS_METRIC, 'counter', HELP[ADMISSIONS_METRIC]!).declare(RATE_LIMITED_METRIC, 'counter', HELP[RATE_LIMITED_METRIC]!);
  for (const [key, value] of Object.entries(requestCounts)) {
    const { name, labels } = parseCounterKey(key);
    const help = HELP[name];
    if (help) out.counter(name, help, labels, value);
  }

  shards.forEach((report, index) => out.gauge('lumen_shard_up', 'Whether the queue shard answered this scrape.', { shard: String(index) }, report ? 1 : 0));
  const live = shards.flatMap((report, index) => (report ? [{ report, shard: String(index) }] : []));
  for (const tier of TIERS) {
    const queued = live.reduce((sum, { report }) => sum + report.tiers[tier].queued, 0);
    const oldest = live.map(({ report }) => report.tiers[tier].oldestQueuedAt).filter((at): at is number => at !== null);
    const meanWaitMs = live.length === 0 ? 0 : live.reduce((sum, { report }) => sum + report.tiers[tier].estimatedWaitMs, 0) / live.length;
    out.gauge('lumen_queue_depth', 'Jobs queued, by tier, across every shard.', { tier }, queued);
    out.gauge('lumen_jobs_running', 'Jobs leased to a worker, by tier.', { tier }, live.reduce((sum, { report }) => sum + report.tiers[tier].running, 0));
    out.gauge('lumen_queue_oldest_age_seconds', 'How long the job queued longest has waited (since it entered the queue or was requeued), by tier.', { tier }, oldest.length === 0 ? 0 : (now - Math.min(...oldest)) / 1000);
    out.gauge('lumen_queue_estimated_wait_seconds', 'Estimated wait of a new job, by tier: the mean over shards, as a new job picks one at random.', { tier }, meanWaitMs / 1000);
  }
  for (const { report, shard } of live) {
    for (const tier of TIERS) {
      const { queued, oldestQueuedAt, estimatedWaitMs } = report.tiers[tier];
      out.gauge('lumen_shard_queue_depth', 'Jobs queued, by tier and shard.', { tier, shard }, queued);
      out.gauge('lumen_shard_queue_oldest_age_seconds', 'How long the job queued longest has waited, by tier and shard.', { tier, shard }, oldestQueuedAt === null ? 0 : (now - oldestQueuedAt) / 1000);
      out.gauge('lumen_shard_queue_estimated_wait_seconds', 'Estimated wait of a new job, by tier and shard.', { tier, shard }, estimatedWaitMs / 1000);
    }
  }

  // Shard counters carry their shard: each restarts from zero with its object, and rate() needs the series apart.
  for (const tier of TIERS) {
    let latency = emptyHistogram();
    for (const { report } of live) latency = mergeHistogram(latency, report.leaseLatency[tier]);
    out.histogram('lumen_lease_latency_seconds', 'Time from a job entering the queue (enqueue or requeue) to its lease, by tier.', { tier }, latency);
  }
  for (const { report, shard } of live) {
    const { counters } = report;
    for (const tier of TIERS) {
      out.counter('lumen_leases_total', 'Jobs leased to workers, by tier.', { tier, shard }, counters.leases[tier]);
      out.counter('lumen_leases_resumed_total', 'Leases of a job that resumes from a checkpoint, by tier.', { tier, shard }, counters.resumed[tier]);
      out.counter('lumen_leases_expired_total', 'Leases whose heartbeats stopped and which the shard took back, by tier.', { tier, shard }, counters.expired[tier]);
      for (const attempt of ['spent', 'free'] as const) {
        out.counter('lumen_jobs_requeued_total', 'Jobs put back in the queue, by tier; attempt="free" when the lease never reached its worker.', { tier, attempt, shard }, counters.requeued[tier][attempt]);
      }
      for (const status of ['succeeded', 'failed', 'cancelled'] as const) {
        out.counter('lumen_jobs_finished_total', 'Jobs that ended, by tier and status.', { tier, status, shard }, counters.finished[tier][status]);
      }
    }
    out.counter('lumen_lease_fenced_total', 'Worker calls refused because their lease was no longer current (stale_lease).', { shard }, counters.fenced);
    for (const result of ['delivered', 'retrying', 'failed'] as const) {
      out.counter('lumen_webhook_deliveries_total', 'Webhook delivery attempts: delivered, failed and retrying, or failed for good.', { result, shard }, counters.webhooks[result]);
    }
    out.gauge('lumen_shard_seconds_per_completion', 'Measured time between completions in the shard (its share of the fleet throughput).', { shard }, report.perCompletionMs / 1000);
  }

  signups.forEach((counts, index) => {
    if (!counts) return;
    const shard = String(index);
    out.counter('lumen_signups_accepted_total', 'Self-serve signups accepted.', { shard }, counts.accepted);
    for (const scope of ['ip', 'global', 'closed'] as const) {
      out.counter('lumen_signups_refused_total', 'Self-serve signups refused, by scope: the address limit, the global rate, or signup closed.', { scope, shard }, counts[scope]);
    }
  });

  out.gauge('lumen_surge_engaged', 'Whether surge limits apply (1) or not (0).', {}, surge.surge ? 1 : 0);
  for (const mode of ['auto', 'on', 'off'] as const) out.gauge('lumen_surge_mode', 'Who holds surge: the controller (auto) or an admin pin (on, off); 1 for the current mode.', { mode }, surge.mode === mode ? 1 : 0);

  out.gauge('lumen_workers', 'Origin workers heard from lately, by state.', { state: 'active' }, workers.filter((worker) => !worker.draining).length);
  out.gauge('lumen_workers', 'Origin workers heard from lately, by state.', { state: 'draining' }, workers.filter((worker) => worker.draining).length);
  out.gauge('lumen_worker_slots', 'Slots of the active workers.', {}, workers.filter((worker) => !worker.draining).reduce((sum, worker) => sum + worker.slots, 0));
  out.gauge('lumen_worker_jobs_held', 'Jobs the workers hold leases on.', {}, workers.reduce((sum, worker) => sum + worker.jobsHeld, 0));
  out.gauge('lumen_capacity_desired_workers', 'Workers the backlog asks for (GET /v1/admin/capacity).', {}, capacity.desiredWorkers);
  out.gauge('lumen_capacity_job_seconds', 'Measured lease-to-completion time per job used by the capacity answer.', {}, capacity.jobSeconds);
  return out.text();
}
