import {
  StageRejection,
  type EncodedImage,
  type GenerationSpec,
  type HookContext,
  type Logger,
  type PassContext,
  type RawImage,
  type SafetyVerdict,
  type Stage,
  type TokenGrid,
} from '../../plugins/sdk/index.js';
import { trace, type Context as TraceContext } from '@opentelemetry/api';
import { endSpan, tracer } from '../tracing.js';
import { encodePreview, previewPasses } from './previews.js';
import type { Pipeline } from './registry.js';

/** A stage threw: the job fails with this, naming the plugin; the worker keeps serving. */
export class StageFailure extends Error {
  override name = 'StageFailure';
  constructor(
    readonly stage: string,
    cause: unknown,
  ) {
    super(`Plugin "${stage}" failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** A safety stage blocked the job; `pass` is 0 for the prompt check. */
export class SafetyBlock extends Error {
  override name = 'SafetyBlock';
  constructor(
    readonly stage: string,
    readonly category: string,
    readonly pass: number,
    /** Decode passes the block spared: every pass after `pass`. */
    readonly passesSkipped: number,
    reason: string,
  ) {
    super(reason);
  }
}

/** One safety verdict, as the audit log records it. */
export interface VerdictRecord {
  stage: 'input' | 'output';
  plugin: string;
  allowed: boolean;
  category: string | null;
  score: number | null;
  /** 0 for the prompt check. */
  pass: number;
  imageIndex: number;
}

export interface ResumePoint {
  /** Passes already finished by an earlier attempt. */
  passesDone: number;
  /** The token grid of each image after that pass. */
  grids: TokenGrid[];
}

export interface RunOptions {
  signal: AbortSignal;
  logger: Logger;
  /**
   * The provenance payload of each of the job's `n` images, in order (see
   * `payloadsForJob`): watermark stages embed it, and the host records the
   * same bytes in its provenance registry.
   */
  watermarkPayloads: readonly Uint8Array[];
  /** Continue an interrupted job after its last finished pass instead of starting over. */
  resumeFrom?: ResumePoint | null;
  /** Called after every finished pass with the state to checkpoint; resolve false to stop the job. */
  onPassComplete?: (pass: number, grids: readonly TokenGrid[]) => Promise<boolean>;
  /**
   * How many partial images (0–3, default 0) to send through `onPreview`
   * before the final one: the latest passes before the final pass, spread
   * evenly (see `previewPasses`). A resumed job skips previews of passes it
   * does not run again.
   */
  partialImages?: number;
  /**
   * Receives a small WebP (longest side at most 256 px) of every image at each
   * pass picked by `partialImages`, once that pass has passed every safety
   * check, with the preview's place among the job's partial images (0 for
   * the first picked pass, even when a resumed job skips it). Awaited before
   * the job goes on. Previews are best effort: a preview
   * that fails to encode or deliver is logged and the job continues, unless
   * the callback throws `JobStopped`.
   */
  onPreview?: (pass: number, imageIndex: number, preview: EncodedImage, partialImageIndex: number) => Promise<void> | void;
  /**
   * Awaited inside each pass, before every safety check: the host's chance to
   * hold a job that other work outranks (as at `onPassComplete`), so that its
   * check does not queue at the classifier ahead of that work's.
   */
  beforePassCheck?: () => Promise<void>;
  /** Receives every safety verdict, allowed or not, for the audit log. */
  onVerdict?: (verdict: VerdictRecord) => void;
  /** The job's trace: each pass and each stage hook becomes a span under it. */
  traceContext?: TraceContext;
}

export interface RunResult {
  images: EncodedImage[];
  grids: TokenGrid[];
  /** The pass this run started at (1 for a fresh job). */
  startedAtPass: number;
}

/** The first decode pass of an edit: the final pass, or earlier by one pass per requested preview. */
function editStartPass(passes: number, partialImages: number): number {
  return Math.max(1, passes - partialImages);
}

/** Raised when the job was stopped from outside (cancel, lost lease, shutdown). */
export class JobStopped extends Error {
  override name = 'JobStopped';
}

/**
 * Hooks are mostly synchronous CPU work, and a worker runs several jobs at
 * once. Awaiting a resolved promise does not yield to the event loop, and
 * immediates queued together run back to back, so without care the hooks of
 * every job in flight run in one go and hold the loop (heartbeats, lease
 * calls, timers) for the sum of them. Hooks therefore start one per turn of
 * the event loop, first come first served: the loop is held for at most one
 * hook's synchronous part at a time.
 */
const waitingForTurn: (() => void)[] = [];
let turnScheduled = false;

function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    waitingForTurn.push(resolve);
    if (!turnScheduled) {
      turnScheduled = true;
      setImmediate(giveTurn);
    }
  });
}

function giveTurn(): void {
  const next = waitingForTurn.shift();
  if (!next) {
    turnScheduled = false;
    return;
  }
  next();
  // Scheduled from inside the check phase, so it runs on the next turn of the loop, after timers and I/O.
  setImmediate(giveTurn);
}

/** Calls one stage hook on its turn, as a span `<plugin> <hook>` under `parent` when the job is traced. */
async function call<T>(stage: Stage, fn: () => Promise<T> | T, hook?: string, parent?: TraceContext): Promise<T> {
  await nextTurn();
  const span = parent && tracer.startSpan(`${stage.name} ${hook ?? stage.kind}`, { attributes: { 'lumen.plugin': stage.name, 'lumen.hook': hook ?? stage.kind } }, parent);
  let failure: unknown;
  try {
    return await fn();
  } catch (error) {
    failure = error;
    if (error instanceof StageRejection || error instanceof SafetyBlock || error instanceof JobStopped) throw error;
    if (error instanceof Error && error.name === 'AbortError') throw new JobStopped('job aborted');
    throw new StageFailure(stage.name, error);
  } finally {
    if (span) endSpan(span, failure);
  }
}

/**
 * Runs one job through the pipeline: prompt checks, tokenize, decode passes
 * (each checked by every safety stage and checkpointed), watermark, encode.
 */
export async function runJob(pipeline: Pipeline, job: GenerationSpec, options: RunOptions): Promise<RunResult> {
  const { signal, logger, resumeFrom, watermarkPayloads, traceContext } = options;
  if (watermarkPayloads.length !== job.n) {
    throw new RangeError(`runJob needs one watermark payload per image: ${job.n} images, ${watermarkPayloads.length} payloads`);
  }
  const contexts: HookContext[] = watermarkPayloads.map((watermarkPayload, imageIndex) => ({
    job,
    imageIndex,
    seed: job.seed + imageIndex,
    signal,
    logger,
    watermarkPayload,
  }));
  const picked = previewPasses(pipeline.passes, options.partialImages ?? 0); // validates partialImages
  const previewAt = new Set(options.onPreview ? picked : []);
  const sendPreview = async (pass: number, imageIndex: number, image: RawImage) => {
    try {
      await options.onPreview?.(pass, imageIndex, await encodePreview(image), picked.indexOf(pass));
    } catch (error) {
      if (error instanceof JobStopped) throw error;
      logger.warn('preview failed; the job continues', { pass, imageIndex, error: String(error) });
    }
  };
  const record = (plugin: string, stage: VerdictRecord['stage'], verdict: SafetyVerdict, pass: number, imageIndex: number) =>
    options.onVerdict?.({
      stage,
      plugin,
      allowed: verdict.allowed,
      category: verdict.allowed ? null : verdict.category,
      score: verdict.score ?? null,
      pass,
      imageIndex,
    });
  const checkStopped = () => {
    if (signal.aborted) throw new JobStopped(String(signal.reason ?? 'job aborted'));
  };

  let grids: TokenGrid[];
  // An edit knows its base image already, so it skips the coarse passes, keeping only those its previews need.
  let firstPass = job.edit ? editStartPass(pipeline.passes, options.partialImages ?? 0) : 1;
  if (resumeFrom && resumeFrom.grids.length === job.n && resumeFrom.passesDone > 0) {
    grids = resumeFrom.grids;
    // Finished passes leave only tokens behind, so a job that died after its
    // last pass renders that pass again rather than starting over.
    firstPass = Math.max(firstPass, Math.min(resumeFrom.passesDone + 1, pipeline.passes));
  } else {
    for (const stage of pipeline.byKind('safety')) {
      if (!stage.checkPrompt) continue;
      const verdict = await call(stage, () => stage.checkPrompt!(contexts[0]!), 'checkPrompt', traceContext);
      record(stage.name, 'input', verdict, 0, 0);
      if (!verdict.allowed) throw new SafetyBlock(stage.name, verdict.category, 0, pipeline.passes, verdict.reason);
    }
    grids = [];
    for (const ctx of contexts) {
      let grid: TokenGrid | undefined;
      for (const stage of pipeline.byKind('tokenize')) grid = await call(stage, () => stage.tokenize(ctx, grid), 'tokenize', traceContext);
      if (!grid) throw new StageFailure('tokenize', new Error('no tokenize stage produced a grid'));
      grids.push(grid);
    }
  }

  let images: RawImage[] = [];
  for (let pass = firstPass; pass <= pipeline.passes; pass++) {
    checkStopped();
    images = [];
    const passSpan = traceContext && tracer.startSpan(`pass ${pass}`, { attributes: { 'lumen.pass': pass, 'lumen.passes': pipeline.passes } }, traceContext);
    const passTrace = passSpan && trace.setSpan(traceContext!, passSpan);
    let passFailure: unknown;
    try {
      for (const [index, ctx] of contexts.entries()) {
        const passCtx: PassContext = { ...ctx, grid: grids[index]!, pass, passes: pipeline.passes };
        let image: RawImage | undefined;
        for (const stage of pipeline.byKind('decode')) image = await call(stage, () => stage.decodePass(passCtx, image), 'decodePass', passTrace);
        if (!image) throw new StageFailure('decode', new Error('no decode stage produced an image'));
        for (const stage of pipeline.byKind('safety')) {
          if (!stage.checkPass) continue;
          await options.beforePassCheck?.();
          checkStopped();
          const verdict = await call(stage, () => stage.checkPass!(passCtx, image), 'checkPass', passTrace);
          record(stage.name, 'output', verdict, pass, index);
          if (!verdict.allowed) throw new SafetyBlock(stage.name, verdict.category, pass, pipeline.passes - pass, verdict.reason);
        }
        if (previewAt.has(pass)) await sendPreview(pass, index, image);
        images.push(image);
      }
      if (options.onPassComplete && !(await options.onPassComplete(pass, grids))) {
        throw new JobStopped(`stopped after pass ${pass}`);
      }
    } catch (error) {
      passFailure = error;
      throw error;
    } finally {
      if (passSpan) endSpan(passSpan, passFailure);
    }
  }

  const encoded: EncodedImage[] = [];
  for (const [index, ctx] of contexts.entries()) {
    checkStopped();
    let image = images[index]!;
    for (const stage of pipeline.byKind('watermark')) image = await call(stage, () => stage.watermark(ctx, image), 'watermark', traceContext);
    let output: EncodedImage | undefined;
    for (const stage of pipeline.byKind('encode')) output = await call(stage, () => stage.encode(ctx, image, output), 'encode', traceContext);
    encoded.push(output!);
  }
  return { images: encoded, grids, startedAtPass: firstPass };
}

/** Calls every stage's setup in run order; a failure names the plugin. */
export async function setupPipeline(pipeline: Pipeline, context: Parameters<NonNullable<Stage['setup']>>[0]): Promise<void> {
  for (const stage of pipeline.stages) {
    if (stage.setup) await call(stage, () => stage.setup!(context));
  }
}

/** Calls every stage's dispose in reverse order, logging rather than stopping on failure. */
export async function disposePipeline(pipeline: Pipeline, logger: Logger): Promise<void> {
  for (const stage of [...pipeline.stages].reverse()) {
    try {
      await stage.dispose?.();
    } catch (error) {
      logger.warn('plugin dispose failed', { plugin: stage.name, error: String(error) });
    }
  }
}
