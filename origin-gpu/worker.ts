import { SpanStatusCode, trace, type Context as TraceContext } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Checkpoint, EditParams, LeasedJob, LeaseRequest } from '../protocol/jobs.js';
import { StageRejection, type GenerationSpec, type Logger, type TokenGrid } from '../plugins/sdk/index.js';
import { runs, safetyVerdicts } from '../schema/origin.js';
import type { OriginDatabase } from './db.js';
import { decodeGrid, encodeGrid, prepareEdit } from './edits.js';
import { GatewayCallError, type GatewayClient } from './gateway-client.js';
import type { JobOutcome, OriginMetrics } from './metrics.js';
import type { Pipeline } from './pipeline/registry.js';
import { MAX_PARTIAL_IMAGES } from './pipeline/previews.js';
import { JobStopped, runJob, SafetyBlock, StageFailure, type ResumePoint, type VerdictRecord } from './pipeline/runner.js';
import { payloadsForJob } from './provenance/payload.js';
import { startJobTrace } from './tracing.js';
import { PassYielding } from './pass-yielding.js';
import type { ProvenanceRegistry } from './provenance/registry.js';
import type { OnnxRuntime } from './runtime/onnx-runtime.js';

export interface OriginWorkerOptions {
  workerId: string;
  gateway: GatewayClient;
  pipeline: Pipeline;
  runtime: OnnxRuntime;
  db: OriginDatabase;
  /** Signs and stores the provenance record of every image before it is delivered. */
  provenance: ProvenanceRegistry;
  logger: Logger;
  /** Jobs run at once; the worker leases only what it has free. */
  slots?: number;
  /** How long one lease call may wait for work (ms). */
  leaseWaitMs?: number;
  /** Slots kept for paid tiers: free jobs never fill them, so paid work never queues behind free work here. */
  paidReservedSlots?: number;
  /**
   * Between passes, a job waits while work that outranks it runs on this worker (pass-yielding.ts: paid
   * work over free, a lighter tenant over a heavier one), so that work has the processor to itself; at most
   * this long per pass, so every job still moves.
   */
  freeYieldMs?: number;
  /**
   * Fairness between tenants on this worker (LUMEN_TENANT_FAIRNESS=off turns it off); on by default:
   * the lighter-tenant rule of pass-yielding.ts, and the light slot (see #lightLeaseLoop).
   */
  tenantFairness?: boolean;
  /** Prometheus metrics of this process; none are kept without it. */
  metrics?: OriginMetrics;
  /**
   * Called once when the gateway says an admin drained this worker: it has stopped leasing by then;
   * the host should stop it (finishing the jobs held) and leave, as on SIGTERM.
   */
  onDrain?: () => void;
}

export function encodeCheckpoint(passesDone: number, grids: readonly TokenGrid[]): Checkpoint {
  return { passesDone, grids: grids.map(encodeGrid) };
}

export function decodeCheckpoint(checkpoint: Checkpoint | null): ResumePoint | null {
  if (!checkpoint || checkpoint.passesDone < 1) return null;
  return { passesDone: checkpoint.passesDone, grids: checkpoint.grids.map(decodeGrid) };
}

/**
 * The image tokens an edit read: its source's grid, once however many images
 * it makes (the stored grid of an `image_id`; an upload is encoded at the
 * output grid's size). References the pack does not use cost nothing.
 */
export function editImageTokens(edit: EditParams | undefined, outputs: readonly TokenGrid[]): number {
  if (!edit) return 0;
  const grid = edit.source?.grid ?? outputs[0];
  return grid ? grid.rows * grid.cols : 0;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
/** Lease wait while free slots are held back only by running free jobs. */
const FREE_REFILL_POLL_MS = 250;
/** A drain does not wait longer than this for the gateway to hear of it. */
const DEPART_TIMEOUT_MS = 2_000;
/** The light slot's lease wait: short, so the tenants it excepts (those running here) are never long out of date. */
const LIGHT_SLOT_POLL_MS = 2_000;

/**
 * Pulls jobs from the gateway while it has free slots, runs them through the
 * pipeline, checkpoints after every pass and reports the outcome. A job that
 * fails fails alone: the loop keeps serving.
 */
export class OriginWorker {
  readonly #options: Required<Omit<OriginWorkerOptions, 'metrics' | 'onDrain'>> & Pick<OriginWorkerOptions, 'metrics' | 'onDrain'>;
  readonly #inFlight = new Map<string, { controller: AbortController; done: Promise<void>; free: boolean; tenantId: string; light: boolean }>();
  readonly #stopLeasing = new AbortController();
  /** Names this process's lease calls, so that a drain can tell the gateway to hand none of them anything. */
  readonly #leaseSession = randomUUID();
  #loops: Promise<void> | undefined;
  #drained = false;
  readonly #yielding: PassYielding;
  /** Lease loops waiting for a job to start or end here. */
  readonly #slotWaiters = new Set<() => void>();
  /** Moving average of one decode pass of one image (ms): prices the compute a safety abort saves. */
  #passMs = 0;

  constructor(options: OriginWorkerOptions) {
    this.#options = { slots: 1, leaseWaitMs: 20_000, paidReservedSlots: 0, freeYieldMs: 2_000, tenantFairness: true, onDrain: () => undefined, ...options };
    this.#options.metrics?.slots(0, this.#options.slots);
    this.#yielding = new PassYielding({ tenantFairness: this.#options.tenantFairness });
    if (this.#options.paidReservedSlots >= this.#options.slots && this.#options.slots > 0 && this.#options.paidReservedSlots > 0) {
      throw new Error(`paidReservedSlots (${this.#options.paidReservedSlots}) must leave at least one of the ${this.#options.slots} slots for free work`);
    }
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  start(): void {
    this.#loops ??= Promise.all([this.#leaseLoop(), this.#options.tenantFairness ? this.#lightLeaseLoop() : undefined]).then(() => undefined);
  }

  /**
   * Stops leasing, lets running jobs finish for `graceMs`, then aborts them at their next pass (their checkpoints survive).
   * The gateway hears of the drain before the open lease call is cancelled: it would otherwise learn
   * that the call had closed only when writing to it failed, and might hand it a job in between.
   */
  async stop(graceMs = 30_000): Promise<void> {
    if (!this.#stopLeasing.signal.aborted) {
      await this.#options.gateway
        .depart({ session: this.#leaseSession }, AbortSignal.timeout(DEPART_TIMEOUT_MS))
        .catch((error: unknown) => this.#options.logger.warn('could not tell the gateway this worker is leaving', { error: String(error) }));
    }
    this.#stopLeasing.abort();
    this.#slotsChanged();
    await this.#loops;
    const running = [...this.#inFlight.values()];
    const finished = Promise.all(running.map((job) => job.done));
    const timedOut = await Promise.race([finished.then(() => false), sleep(graceMs).then(() => true)]);
    if (timedOut) {
      for (const job of running) job.controller.abort(new JobStopped('worker shutting down'));
      await finished;
    }
  }

  /** The regular slots: each call asks for all of them that are free. */
  #leaseLoop(): Promise<void> {
    const { workerId, slots, leaseWaitMs, paidReservedSlots } = this.#options;
    return this.#leaseWhile(false, () => {
      const free = slots - this.#inFlight.size;
      if (free <= 0) return null;
      const freeRunning = [...this.#inFlight.values()].filter((job) => job.free).length;
      const maxFree = Math.max(0, Math.min(free, slots - paidReservedSlots - freeRunning));
      // While running free jobs are what keeps this call from taking free work, a long poll would
      // sit out their completion (free work never wakes it); poll briefly so freed slots refill at once.
      const waitMs = freeRunning > 0 && maxFree < free ? Math.min(leaseWaitMs, FREE_REFILL_POLL_MS) : leaseWaitMs;
      return { workerId, slots: free, waitMs, maxFree, session: this.#leaseSession, capacity: slots };
    });
  }

  /**
   * The light slot: while every slot is busy, one more paid job, of a tenant
   * this worker is not running. Without it a tenant that fills a worker's
   * slots makes every other tenant's job wait for one of them to end, however
   * fair the queue; with it that job starts at once, and the pass gate's
   * lighter-tenant rule gives it the processor (pass-yielding.ts). So a worker
   * runs at most `slots + 1` jobs, and the extra one only ever through here.
   */
  #lightLeaseLoop(): Promise<void> {
    const { workerId, slots, leaseWaitMs } = this.#options;
    return this.#leaseWhile(true, () => {
      const running = [...this.#inFlight.values()];
      if (running.length < slots || running.some((job) => job.light)) return null;
      const exceptTenants = [...new Set(running.filter((job) => !job.free).map((job) => job.tenantId))];
      return { workerId, slots: 1, waitMs: Math.min(LIGHT_SLOT_POLL_MS, leaseWaitMs), maxFree: 0, session: this.#leaseSession, capacity: slots, exceptTenants };
    });
  }

  /** Leases with what `nextCall` asks for (for the light slot when `light`), or waits for a job to start or end while it asks for nothing, until leasing stops. */
  async #leaseWhile(light: boolean, nextCall: () => LeaseRequest | null): Promise<void> {
    const { gateway, logger, metrics } = this.#options;
    let backoffMs = 250;
    while (this.#leasing) {
      const request = nextCall();
      if (!request) {
        await this.#nextSlotChange();
        continue;
      }
      try {
        const { jobs, drain } = await gateway.lease(request, this.#stopLeasing.signal);
        backoffMs = 250;
        for (const job of jobs) {
          if (light) metrics?.lightSlotLease();
          this.#track(job, light);
        }
        if (drain) this.#drain();
      } catch (error) {
        if (this.#stopLeasing.signal.aborted) break;
        logger.warn(`${light ? 'light-slot lease' : 'lease'} call failed; retrying`, { error: String(error), retryInMs: backoffMs });
        await sleep(backoffMs, this.#stopLeasing.signal);
        backoffMs = Math.min(backoffMs * 2, 5_000);
      }
    }
  }

  get #leasing(): boolean {
    return !this.#stopLeasing.signal.aborted && !this.#drained;
  }

  /** An admin drained this worker: both loops stop leasing, and the host hears of it once. */
  #drain(): void {
    if (this.#drained) return;
    this.#drained = true;
    this.#options.logger.info('drained by an admin: leasing no more, finishing the jobs held', { inFlight: this.#inFlight.size });
    this.#slotsChanged();
    this.#options.onDrain?.();
  }

  #nextSlotChange(): Promise<void> {
    return new Promise((resolve) => this.#slotWaiters.add(resolve));
  }

  #slotsChanged(): void {
    const waiters = [...this.#slotWaiters];
    this.#slotWaiters.clear();
    for (const wake of waiters) wake();
  }

  #track(job: LeasedJob, light: boolean): void {
    const controller = new AbortController();
    this.#yielding.started(job.id, job.tenantId, job.tier !== 'free');
    const done = this.#execute(job, controller).finally(() => {
      this.#inFlight.delete(job.id);
      this.#options.metrics?.slots(this.#inFlight.size, this.#options.slots);
      this.#yielding.ended(job.id);
      this.#slotsChanged();
    });
    this.#inFlight.set(job.id, { controller, done, free: job.tier === 'free', tenantId: job.tenantId, light });
    this.#options.metrics?.slots(this.#inFlight.size, this.#options.slots);
    this.#slotsChanged();
  }

  async #execute(leased: LeasedJob, controller: AbortController): Promise<void> {
    const jobTrace = startJobTrace(leased.traceparent, {
      'lumen.job.id': leased.id,
      'lumen.attempt': leased.attempt,
      'lumen.tier': leased.tier,
      'lumen.size': `${leased.params.width}x${leased.params.height}`,
      'lumen.n': leased.params.n,
      'lumen.resume_after_pass': leased.passesDone,
    });
    // Every line this job logs carries its trace id, so logs and spans join up.
    const log = { jobId: leased.id, attempt: leased.attempt, ...(jobTrace.traceId && { traceId: jobTrace.traceId }) };
    const ran = this.#options.metrics?.jobRunning(leased.tier);
    await jobTrace.run(() => this.#executeTraced(leased, controller, log, jobTrace.context)).then(
      () => jobTrace.end(),
      (error: unknown) => {
        jobTrace.end(error);
        throw error;
      },
    ).finally(ran);
  }

  async #executeTraced(leased: LeasedJob, controller: AbortController, log: Record<string, unknown>, traceContext: TraceContext): Promise<void> {
    const { gateway, pipeline, db, runtime, workerId, provenance, metrics } = this.#options;
    const logger = this.#options.logger;
    const { edit: editParams, ...params } = leased.params;
    const baseSpec: GenerationSpec = {
      jobId: leased.id,
      ...params,
      tenantId: leased.tenantId,
      moderation: params.moderation ?? 'auto',
      lowPriority: leased.tier === 'free',
    };
    let spec = baseSpec;
    const verdicts: VerdictRecord[] = [];
    let block: SafetyBlock | undefined;
    const leasedAt = performance.now();
    let lastPassAt = leasedAt;
    let firstPassSeen = false;
    // Verdicts are written before the outcome is reported, so whoever sees the job end can read its audit.
    let audited = false;
    const audit = async () => {
      if (audited) return;
      audited = true;
      await this.#audit(leased, verdicts, block).catch((error: unknown) => logger.error('could not record safety verdicts', { ...log, error: String(error) }));
    };
    let passesDone = leased.passesDone;
    // Keeps the lease alive through long passes; a lost lease stops the job at its next pass.
    const beat = () =>
      gateway.heartbeat(leased.id, { leaseId: leased.leaseId, passesDone }).then(
        ({ keep }) => keep || controller.abort(new JobStopped('lease lost')),
        (error: unknown) => logger.warn('heartbeat failed', { ...log, error: String(error) }),
      );
    // The first beat, at once, confirms the lease: until then the gateway treats the job as never
    // delivered, and a lease that lapses unconfirmed costs the job no attempt.
    void beat();
    const runId = randomUUID();
    const started = performance.now();
    const onnxBefore = runtime.onnxMilliseconds;
    let resumeFrom: ResumePoint | null = null;
    try {
      resumeFrom = decodeCheckpoint(leased.checkpoint);
    } catch (error) {
      logger.warn('ignoring unreadable checkpoint; starting over', { ...log, error: String(error) });
    }
    await db.insert(runs).values({
      id: runId,
      jobId: leased.id,
      attempt: leased.attempt,
      workerId,
      status: 'running',
      resumedFromPass: resumeFrom?.passesDone ?? 0,
      images: spec.n,
      width: spec.width,
      height: spec.height,
      startedAt: Date.now(),
    });
    logger.info('job started', { ...log, resumeAfterPass: resumeFrom?.passesDone ?? 0 });
    const keepAlive = setInterval(beat, Math.max(500, leased.leaseTtlMs / 3));

    const finish = (status: 'succeeded' | 'failed' | 'aborted', error?: string) =>
      db
        .update(runs)
        .set({ status, passesDone, error, wallMs: performance.now() - started, onnxMs: runtime.onnxMilliseconds - onnxBefore, finishedAt: Date.now() })
        .where(eq(runs.id, runId));

    try {
      // The gateway validates partial_images; clamping here keeps a bad row from ever reaching runJob's RangeError.
      const partialImages = Math.max(0, Math.min(MAX_PARTIAL_IMAGES, Math.floor(Number(leased.params.partialImages) || 0)));
      const watermarkPayloads = payloadsForJob(leased.id, spec.n, leased.tenantId);
      if (editParams) {
        // A resumed edit already has its tokens in the checkpoint; only a fresh one needs its inputs.
        const edit = resumeFrom
          ? { inputFidelity: editParams.inputFidelity }
          : await prepareEdit(editParams, spec, {
              download: (key) => gateway.downloadInput(leased.id, leased.leaseId, key),
              ownOutput: (bytes) => provenance.editSource(bytes, leased.tenantId),
            });
        spec = { ...baseSpec, edit };
      }
      // Tokenizing and the first pass are the longest stretch with no pass boundary: a job outranked here waits first.
      await this.#yieldWhileOutranked(leased.id, controller.signal);
      const result = await runJob(pipeline, spec, {
        signal: controller.signal,
        logger: this.#childLogger(log),
        resumeFrom,
        watermarkPayloads,
        partialImages,
        traceContext,
        onPreview: async (pass, imageIndex, preview, partialImageIndex) => {
          const uploadStarted = performance.now();
          await gateway.uploadPreview(leased.id, leased.leaseId, pass, imageIndex, partialImageIndex, preview.bytes);
          metrics?.upload('preview', (performance.now() - uploadStarted) / 1000);
        },
        beforePassCheck: () => this.#yieldWhileOutranked(leased.id, controller.signal),
        onVerdict: (verdict) => {
          verdicts.push(verdict);
          metrics?.verdict(verdict.stage, verdict.category, verdict.allowed);
        },
        onPassComplete: async (pass, grids) => {
          passesDone = pass;
          const now = performance.now();
          metrics?.pass(spec.width, spec.height, (now - lastPassAt) / 1000);
          if (!firstPassSeen) metrics?.firstPass(leased.tier, (now - leasedAt) / 1000);
          firstPassSeen = true;
          const perImage = (now - lastPassAt) / spec.n;
          this.#passMs = this.#passMs === 0 ? perImage : 0.9 * this.#passMs + 0.1 * perImage;
          lastPassAt = now;
          let keep = true;
          try {
            const checkpointStarted = performance.now();
            ({ keep } = await gateway.heartbeat(leased.id, {
              leaseId: leased.leaseId,
              passesDone: pass,
              checkpoint: encodeCheckpoint(pass, grids),
            }));
            metrics?.checkpoint((performance.now() - checkpointStarted) / 1000);
          } catch (error) {
            // The gateway stayed unreachable through the client's retries. Keep rendering: if the
            // lease lapsed meanwhile, fencing refuses the completion and the job resumes elsewhere.
            logger.warn('checkpoint not recorded; continuing', { ...log, pass, error: String(error) });
          }
          if (!keep) controller.abort(new JobStopped('lease lost'));
          await this.#yieldWhileOutranked(leased.id, controller.signal);
          return !controller.signal.aborted;
        },
      });
      for (const [index, image] of result.images.entries()) {
        await provenance.record({
          jobId: leased.id,
          imageIndex: index,
          tenantId: leased.tenantId,
          payload: watermarkPayloads[index]!,
          encoded: image,
          prompt: spec.prompt,
          seed: spec.seed + index,
          grid: result.grids[index]!,
        });
      }
      const outputTokens = result.grids.reduce((sum, grid) => sum + grid.rows * grid.cols, 0);
      const inputImageTokens = editImageTokens(editParams, result.grids);
      await audit();
      // The images travel in the completion call (batched with other jobs finishing meanwhile); the upload metric times that delivery.
      const deliveryStarted = performance.now();
      await gateway.complete({
        jobId: leased.id,
        leaseId: leased.leaseId,
        images: result.images.map((image, index) => ({ index, format: image.format, bytes: image.bytes })),
        usage: { inputTokens: Math.ceil(spec.prompt.length / 4) + inputImageTokens, outputTokens, inputImageTokens },
      });
      metrics?.upload('image', (performance.now() - deliveryStarted) / 1000);
      // Only once the gateway has the result: a run recorded as succeeded always delivered it.
      await finish('succeeded');
      jobEnded(traceContext, 'succeeded', metrics, leased.tier);
      logger.info('job completed', { ...log, startedAtPass: result.startedAtPass, wallMs: Math.round(performance.now() - started) });
    } catch (thrown) {
      // An abort surfaces from inside a stage as a bare AbortError; the signal knows why it was pulled.
      const reason: unknown = controller.signal.reason;
      const error = controller.signal.aborted && reason instanceof JobStopped ? reason : thrown;
      if (error instanceof SafetyBlock) block = error;
      await audit();
      // Recorded before it is reported, like the verdicts, so whoever sees the job fail sees the run ended too.
      await finish(error instanceof JobStopped ? 'aborted' : 'failed', String(error)).catch(() => undefined);
      await this.#report(leased, error, log);
      jobEnded(traceContext, outcomeOf(error), metrics, leased.tier, error);
    } finally {
      clearInterval(keepAlive);
      await audit();
    }
  }

  /** Writes every verdict of this attempt to the audit log; a block carries the compute it spared. */
  async #audit(leased: LeasedJob, verdicts: readonly VerdictRecord[], block: SafetyBlock | undefined): Promise<void> {
    if (verdicts.length === 0) return;
    const createdAt = Date.now();
    await this.#options.db.insert(safetyVerdicts).values(
      verdicts.map((verdict) => {
        const blocking = !verdict.allowed && block !== undefined;
        const passesSkipped = blocking ? block!.passesSkipped : null;
        return {
          jobId: leased.id,
          tenantId: leased.tenantId,
          attempt: leased.attempt,
          ...verdict,
          passesSkipped,
          savedMs: passesSkipped === null ? null : Math.round(passesSkipped * this.#passMs * leased.params.n),
          createdAt,
        };
      }),
    );
  }

  /** Lets the cores go while this job is outranked here (pass-yielding.ts), for at most `freeYieldMs`, or until aborted. */
  async #yieldWhileOutranked(jobId: string, signal: AbortSignal): Promise<void> {
    const reason = this.#yielding.outrankedBy(jobId);
    if (reason === null) return;
    const metrics = this.#options.metrics;
    const freeYieldEnded = reason === 'paid' ? metrics?.freeYielding() : undefined;
    const end = await this.#yielding.wait(jobId, reason, signal, this.#options.freeYieldMs);
    if (freeYieldEnded) freeYieldEnded(end);
    else metrics?.tenantYield(end);
  }

  /** Tells the gateway why a job ended badly; lease-lost and shutdown leave the job to expire and resume elsewhere. */
  async #report(leased: LeasedJob, error: unknown, log: Record<string, unknown>): Promise<void> {
    const { gateway, logger } = this.#options;
    if (error instanceof JobStopped) {
      logger.info('job stopped', { ...log, reason: error.message });
      return;
    }
    if (error instanceof GatewayCallError && error.code === 'stale_lease') {
      logger.warn('lease was taken over; dropping result', log);
      return;
    }
    let failure;
    if (error instanceof SafetyBlock) {
      failure = {
        retryable: false,
        error: {
          message: `Your request was rejected by the safety system (category: ${error.category}, ${error.pass === 0 ? 'prompt' : `pass ${error.pass}`}). ${error.message}`,
          code: 'moderation_blocked',
          clientError: true,
          moderation: {
            stage: error.pass === 0 ? ('input' as const) : ('output' as const),
            category: error.category,
            pass: error.pass,
            passesSkipped: error.passesSkipped,
          },
        },
      };
    } else if (error instanceof StageRejection) {
      failure = { retryable: false, error: { message: error.message, code: error.code, clientError: true } };
    } else {
      const message = error instanceof StageFailure ? error.message : `Generation failed: ${String(error)}`;
      failure = { retryable: true, error: { message, code: 'generation_failed', clientError: false } };
    }
    logger.warn('job failed', { ...log, ...failure.error, retryable: failure.retryable });
    try {
      await gateway.fail(leased.id, { leaseId: leased.leaseId, ...failure });
    } catch (reportError) {
      logger.error('could not report failure; the lease will expire', { ...log, error: String(reportError) });
    }
  }

  #childLogger(fields: Record<string, unknown>): Logger {
    const base = this.#options.logger;
    return {
      debug: (message, extra) => base.debug(message, { ...fields, ...extra }),
      info: (message, extra) => base.info(message, { ...fields, ...extra }),
      warn: (message, extra) => base.warn(message, { ...fields, ...extra }),
      error: (message, extra) => base.error(message, { ...fields, ...extra }),
    };
  }
}

/** Counts the attempt's outcome and marks the job span with it (an error status unless it succeeded or was stopped to resume elsewhere). */
function jobEnded(traceContext: TraceContext, outcome: JobOutcome, metrics: OriginMetrics | undefined, tier: LeasedJob['tier'], error?: unknown): void {
  metrics?.job(outcome, tier);
  const span = trace.getSpan(traceContext);
  span?.setAttribute('lumen.outcome', outcome);
  if (error !== undefined && outcome !== 'stopped') span?.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** The metrics outcome of an attempt that did not succeed. */
function outcomeOf(error: unknown): JobOutcome {
  if (error instanceof JobStopped) return 'stopped';
  if (error instanceof GatewayCallError && error.code === 'stale_lease') return 'fenced';
  if (error instanceof SafetyBlock) return 'blocked';
  if (error instanceof StageRejection) return 'rejected';
  return 'failed';
}
