// The fleet seen from the gateway: every shard's report, the load the surge
// controller watches, the workers that are alive, and how many the backlog asks for.
import type { GatewayConfig } from './config.js';
import type { Env } from './env.js';
import type { ShardReport } from './objects/shard-metrics.js';
import { workerRegistryStub } from './objects/worker-registry.js';
import { shardCount, shardStub } from './queue.js';
import { TIERS, type Tier } from '../protocol/tiers.js';

/** Every shard's report, by shard index; null for a shard that did not answer (the rest still count). */
export async function shardReports(env: Env): Promise<(ShardReport | null)[]> {
  return Promise.all(
    Array.from({ length: shardCount(env) }, (_, shard) =>
      shardStub(env, shard)
        .report()
        .catch((error: unknown) => {
          console.error(JSON.stringify({ level: 'error', message: 'shard report failed', shard, error: String(error) }));
          return null;
        }),
    ),
  );
}

export interface FleetLoad {
  at: number;
  /** How long the paid job queued longest has waited (ms), 0 when none is queued. */
  paidWaitMs: number;
  /** Free jobs queued across every shard. */
  freeBacklog: number;
}

export function fleetLoad(reports: readonly (ShardReport | null)[], now: number): FleetLoad {
  let paidWaitMs = 0;
  let freeBacklog = 0;
  for (const report of reports) {
    if (!report) continue;
    freeBacklog += report.tiers.free.queued;
    for (const tier of TIERS) {
      const since = report.tiers[tier].oldestQueuedAt;
      if (tier !== 'free' && since !== null) paidWaitMs = Math.max(paidWaitMs, now - since);
    }
  }
  return { at: now, paidWaitMs, freeBacklog };
}

export interface WorkerView {
  id: string;
  slots: number;
  jobsHeld: number;
  lastLeaseAt: number;
  lastHeartbeatAt: number | null;
  draining: boolean;
  drainingSince: number | null;
  firstSeenAt: number;
}

/** The workers heard from within WORKER_EXPIRY_MS, with the jobs they hold and their last heartbeat, from the shards. */
export async function liveWorkers(env: Env, reports: readonly (ShardReport | null)[], expiryMs: number): Promise<WorkerView[]> {
  const held = new Map<string, number>();
  const heartbeats: Record<string, number> = {};
  for (const report of reports) {
    for (const worker of report?.workers ?? []) {
      held.set(worker.id, (held.get(worker.id) ?? 0) + worker.held);
      if (worker.lastHeartbeatAt !== null) heartbeats[worker.id] = Math.max(heartbeats[worker.id] ?? 0, worker.lastHeartbeatAt);
    }
  }
  const entries = await workerRegistryStub(env).list(expiryMs, heartbeats);
  return entries
    .map((entry) => ({
      id: entry.id,
      slots: entry.slots,
      jobsHeld: held.get(entry.id) ?? 0,
      lastLeaseAt: entry.lastLeaseAt,
      lastHeartbeatAt: heartbeats[entry.id] ?? null,
      draining: entry.drainingSince !== null,
      drainingSince: entry.drainingSince,
      firstSeenAt: entry.firstSeenAt,
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

export interface TierCapacity {
  queued: number;
  running: number;
  targetWaitSeconds: number;
  /** Slots this tier needs: its running jobs, plus enough to drain its queue within the target wait. */
  slots: number;
}

/** A flat answer, as KEDA's metrics-api scaler and an HPA external metric read it (`desiredWorkers`). */
export interface CapacityAnswer {
  desiredWorkers: number;
  currentWorkers: number;
  drainingWorkers: number;
  desiredSlots: number;
  slotsPerWorker: number;
  /** Measured lease-to-completion time per job (the configured guess before any job completed). */
  jobSeconds: number;
  queuedJobs: number;
  runningJobs: number;
  minWorkers: number;
  maxWorkers: number;
  tiers: Record<Tier, TierCapacity>;
}

/**
 * How many workers the backlog asks for. Each tier needs a slot per running
 * job, plus queued × jobSeconds / targetWait slots to drain its queue within its
 * target wait (never more than one per queued job: a job cannot run faster in
 * two slots). The slots, divided by the slots of a live worker, are the workers.
 */
export function desiredCapacity(
  reports: readonly (ShardReport | null)[],
  workers: readonly WorkerView[],
  settings: Pick<GatewayConfig, 'targetWaitMs' | 'admissionDefaultJobMs' | 'capacityMinWorkers' | 'capacityMaxWorkers' | 'capacitySlotsPerWorker'>,
): CapacityAnswer {
  const measured = reports.map((report) => report?.jobRunMs).filter((ms): ms is number => typeof ms === 'number');
  const jobMs = measured.length > 0 ? measured.reduce((sum, ms) => sum + ms, 0) / measured.length : settings.admissionDefaultJobMs;
  const tiers = Object.fromEntries(
    TIERS.map((tier) => {
      const queued = reports.reduce((sum, report) => sum + (report?.tiers[tier].queued ?? 0), 0);
      const running = reports.reduce((sum, report) => sum + (report?.tiers[tier].running ?? 0), 0);
      const target = settings.targetWaitMs[tier];
      return [tier, { queued, running, targetWaitSeconds: target / 1000, slots: running + Math.min(queued, (queued * jobMs) / target) }];
    }),
  ) as Record<Tier, TierCapacity>;
  const active = workers.filter((worker) => !worker.draining);
  const slotsPerWorker = active.length > 0 ? active.reduce((sum, worker) => sum + worker.slots, 0) / active.length : settings.capacitySlotsPerWorker;
  const desiredSlots = Math.ceil(TIERS.reduce((sum, tier) => sum + tiers[tier].slots, 0) - 1e-9);
  const desiredWorkers = Math.min(settings.capacityMaxWorkers, Math.max(settings.capacityMinWorkers, Math.ceil(desiredSlots / slotsPerWorker)));
  return {
    desiredWorkers,
    currentWorkers: active.length,
    drainingWorkers: workers.length - active.length,
    desiredSlots,
    slotsPerWorker,
    jobSeconds: jobMs / 1000,
    queuedJobs: TIERS.reduce((sum, tier) => sum + tiers[tier].queued, 0),
    runningJobs: TIERS.reduce((sum, tier) => sum + tiers[tier].running, 0),
    minWorkers: settings.capacityMinWorkers,
    maxWorkers: settings.capacityMaxWorkers,
    tiers,
  };
}
