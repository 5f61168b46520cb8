// The origin's Prometheus metrics: one registry per worker process, served at
// GET /metrics on LUMEN_METRICS_PORT.
// Labels are bounded: tier, size, stage, category, outcome; never a job or tenant id.
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Tier } from '../protocol/tiers.js';
import type { PassYieldEnd } from './pass-yielding.js';

/** How a job's attempt on this worker ended. */
export type JobOutcome = 'succeeded' | 'failed' | 'blocked' | 'rejected' | 'stopped' | 'fenced';

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** How a job's yield between passes ended (pass-yielding.ts). */
export type YieldEnd = PassYieldEnd;

/**
 * Milliseconds this worker has spent with free work running (any free job not yielding to paid
 * work between passes), summed since start: a paid job's share is the difference between its end and its start.
 */
class FreeWorkClock {
  #working = 0;
  #since = 0;
  #totalMs = 0;

  /** One more (+1) or one fewer (-1) free job working. */
  change(delta: 1 | -1, now = performance.now()): void {
    this.#totalMs = this.read(now);
    this.#since = now;
    this.#working += delta;
  }

  read(now = performance.now()): number {
    return this.#working > 0 ? this.#totalMs + (now - this.#since) : this.#totalMs;
  }
}

export class OriginMetrics {
  readonly registry = new Registry();
  readonly #jobs: Counter<'outcome' | 'tier'>;
  readonly #passSeconds: Histogram<'size'>;
  readonly #leaseToFirstPassSeconds: Histogram<'tier'>;
  readonly #checkpointSeconds: Histogram;
  readonly #uploadSeconds: Histogram<'kind'>;
  readonly #onnxSeconds: Histogram;
  readonly #batchRows: Histogram;
  readonly #verdicts: Counter<'stage' | 'category' | 'allowed'>;
  readonly #slotsBusy: Gauge;
  readonly #slots: Gauge;
  readonly #paidBehindFreeSeconds: Histogram<'tier'>;
  readonly #freeYields: Counter<'end'>;
  readonly #tenantYields: Counter<'end'>;
  readonly #lightSlotLeases: Counter;
  readonly #freeWork = new FreeWorkClock();

  constructor(workerId: string) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ worker: workerId });
    // Process metrics: RSS (process_resident_memory_bytes), heap (nodejs_heap_size_used_bytes), event-loop lag (nodejs_eventloop_lag_*).
    collectDefaultMetrics({ register: this.registry });
    this.#jobs = new Counter({ name: 'lumen_origin_jobs_total', help: 'Job attempts this worker ended, by outcome and tier.', labelNames: ['outcome', 'tier'], registers });
    this.#passSeconds = new Histogram({ name: 'lumen_origin_pass_duration_seconds', help: 'Wall time of one decode pass of one job (all its images), by image size.', labelNames: ['size'], buckets: SECONDS_BUCKETS, registers });
    this.#leaseToFirstPassSeconds = new Histogram({ name: 'lumen_origin_lease_to_first_pass_seconds', help: 'From receiving a lease to finishing its first pass.', labelNames: ['tier'], buckets: SECONDS_BUCKETS, registers });
    this.#checkpointSeconds = new Histogram({ name: 'lumen_origin_checkpoint_duration_seconds', help: 'Round trip of a checkpoint (heartbeat with the token grids) to the gateway.', buckets: SECONDS_BUCKETS, registers });
    this.#uploadSeconds = new Histogram({ name: 'lumen_origin_upload_duration_seconds', help: 'Round trip of an upload to the gateway, by kind: a preview, or (image) a job\'s finished images, which travel in its completion call (timed from handing them over, so it includes waiting for a completion call in flight).', labelNames: ['kind'], buckets: SECONDS_BUCKETS, registers });
    this.#onnxSeconds = new Histogram({ name: 'lumen_origin_onnx_run_duration_seconds', help: 'Time inside onnxruntime for one session run (a batch of merged calls).', buckets: SECONDS_BUCKETS, registers });
    this.#batchRows = new Histogram({ name: 'lumen_origin_onnx_batch_rows', help: 'Rows (merged calls) per onnxruntime session run.', buckets: [1, 2, 3, 4, 6, 8, 12, 16], registers });
    this.#verdicts = new Counter({ name: 'lumen_origin_safety_verdicts_total', help: 'Safety verdicts, by stage (input/output), category ("none" when allowed) and whether allowed.', labelNames: ['stage', 'category', 'allowed'], registers });
    this.#slotsBusy = new Gauge({ name: 'lumen_origin_slots_busy', help: 'Jobs running on this worker.', registers });
    this.#slots = new Gauge({ name: 'lumen_origin_slots', help: 'Jobs this worker runs at once.', registers });
    this.#paidBehindFreeSeconds = new Histogram({
      name: 'lumen_origin_paid_alongside_free_seconds',
      help: 'Per paid job attempt on this worker: how long free work (a pass, or set-up and encoding, not a yield) ran alongside it on the same processor. The le="0" bucket counts paid attempts that had the worker to themselves.',
      labelNames: ['tier'],
      buckets: [0, ...SECONDS_BUCKETS],
      registers,
    });
    this.#freeYields = new Counter({ name: 'lumen_origin_free_yields_total', help: 'Free jobs pausing between passes for paid work, by how the pause ended: no paid job left (paid_idle), the yield cap (timeout), or the job stopped (aborted).', labelNames: ['end'], registers });
    this.#tenantYields = new Counter({
      name: 'lumen_origin_tenant_yields_total',
      help: 'Jobs pausing between passes while a tenant of the same kind runs fewer jobs on this worker than theirs, by how the pause ended: no lighter tenant left running (lighter_done), the yield cap (timeout), or the job stopped (aborted).',
      labelNames: ['end'],
      registers,
    });
    this.#lightSlotLeases = new Counter({
      name: 'lumen_origin_light_slot_leases_total',
      help: "Jobs this worker leased into its light slot: one job beyond its slots, of a paid tenant it was not running, taken while every slot was busy (worker.ts).",
      registers,
    });
  }

  job(outcome: JobOutcome, tier: Tier): void {
    this.#jobs.inc({ outcome, tier });
  }

  pass(width: number, height: number, seconds: number): void {
    this.#passSeconds.observe({ size: `${width}x${height}` }, seconds);
  }

  firstPass(tier: Tier, seconds: number): void {
    this.#leaseToFirstPassSeconds.observe({ tier }, seconds);
  }

  checkpoint(seconds: number): void {
    this.#checkpointSeconds.observe(seconds);
  }

  upload(kind: 'preview' | 'image', seconds: number): void {
    this.#uploadSeconds.observe({ kind }, seconds);
  }

  onnxRun(rows: number, seconds: number): void {
    this.#onnxSeconds.observe(seconds);
    this.#batchRows.observe(rows);
  }

  verdict(stage: 'input' | 'output', category: string | null, allowed: boolean): void {
    this.#verdicts.inc({ stage, category: allowed ? 'none' : (category ?? 'unknown'), allowed: String(allowed) });
  }

  /** A job attempt starts running here; call the returned function when it ends. */
  jobRunning(tier: Tier): () => void {
    if (tier === 'free') {
      this.#freeWork.change(1);
      return () => this.#freeWork.change(-1);
    }
    const startedAt = this.#freeWork.read();
    return () => this.#paidBehindFreeSeconds.observe({ tier }, (this.#freeWork.read() - startedAt) / 1000);
  }

  /** A job paused for a lighter tenant's (pass-yielding.ts), once the pause ended. */
  tenantYield(end: YieldEnd): void {
    this.#tenantYields.inc({ end });
  }

  lightSlotLease(): void {
    this.#lightSlotLeases.inc();
  }

  /** A running free job pauses between passes for paid work; call the returned function with how the pause ended. */
  freeYielding(): (end: YieldEnd) => void {
    this.#freeWork.change(-1);
    return (end) => {
      this.#freeWork.change(1);
      this.#freeYields.inc({ end });
    };
  }

  slots(busy: number, total: number): void {
    this.#slotsBusy.set(busy);
    this.#slots.set(total);
  }
}

/** Serves `GET /metrics` (Prometheus text) on its own port; anything else is a 404. */
export function serveMetrics(metrics: OriginMetrics, port: number, host: string): Server {
  return createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(error)}\n`),
    );
  }).listen(port, host);
}
