/**
 * The public plugin API of Lumen's generation pipeline.
 *
 * Every stage of the pipeline, the built-in ones included, is a plugin made
 * with {@link defineStage}. The host (origin-gpu) loads the stages listed in
 * the pipeline config, orders them, calls `setup` once, runs their hooks for
 * every job, and calls `dispose` on shutdown.
 *
 * The contract only grows by addition: a plugin built for API version 1 keeps
 * working on any host whose major version is 1.
 */

import type { OutputFormat } from '../../protocol/images.js';
import type { RenderSettings } from '../../protocol/jobs.js';

export { TurnQueue } from './turn-queue.js';
export { seededRandom } from './random.js';

/** The major version of this API. The host refuses stages built for another major. */
export const API_VERSION = 1;

/** The kinds of stage, in the order the host runs them. */
export const STAGE_KINDS = ['tokenize', 'decode', 'safety', 'watermark', 'encode'] as const;
export type StageKind = (typeof STAGE_KINDS)[number];

/** Output formats a client can ask for (as in the OpenAI Images API). */
export type { OutputFormat };

/**
 * What a client asked for, after validation at the gateway: the wire's
 * render settings (protocol/jobs.ts, the same fields the gateway stores on
 * the job) plus what the host adds for the stages.
 */
export type GenerationSpec = Readonly<RenderSettings> & {
  readonly jobId: string;
  /** The tenant the job belongs to (absent only outside the host, e.g. in unit tests). */
  readonly tenantId?: string;
  /** Set when the job edits an existing image instead of generating from nothing. */
  readonly edit?: EditSpec;
  /**
   * True for free-tier work, which yields to paid work. A stage whose calls
   * queue for one shared thread or device should serve the other jobs' calls
   * first (`TurnQueue`).
   */
  readonly lowPriority?: boolean;
};

/**
 * What an edit starts from. Tokenize stages build the edited grid: the
 * source's tokens outside the region the edit changes, new tokens inside it.
 * Decoding then starts at a later pass (the host's choice), since the base
 * image is already known.
 */
export interface EditSpec {
  /** The source as tokens, when the host has them (an earlier output): nothing needs encoding. */
  readonly sourceGrid?: TokenGrid;
  /** The source as pixels, resized to the job's width × height, when it was uploaded. */
  readonly sourceImage?: RawImage;
  /** The prompt that made the source, when it is one of this service's outputs. */
  readonly sourcePrompt?: string;
  /** The seed the source image was rendered with (its job's seed + its index), with `sourcePrompt`. */
  readonly sourceSeed?: number;
  /** The source grid's {@link TokenGrid.scene}, when its tokenizer attached one. */
  readonly sourceScene?: string;
  /** The client's mask as alpha at the job's width × height, row-major: 0 marks the area to edit. */
  readonly maskAlpha?: Uint8Array;
  /** OpenAI's `input_fidelity`: `high` keeps everything outside the edit as it was. */
  readonly inputFidelity: 'low' | 'high';
  /** A variation (`/v1/images/variations`): no prompt; the source re-rendered with the image's seed. */
  readonly variation?: boolean;
}

/** A grid of discrete image tokens, row-major, each an index into a codebook. */
export interface TokenGrid {
  readonly rows: number;
  readonly cols: number;
  readonly codebookSize: number;
  readonly tokens: Int32Array;
  /**
   * Opaque JSON a tokenizer may attach to say what the grid depicts (the
   * default pack records its scene: which object was drawn where). The host
   * keeps it with checkpoints and outputs and hands it back as
   * {@link EditSpec.sourceScene} when the image is edited.
   */
  readonly scene?: string;
  /**
   * How opaque each cell is, 0 (background) to 255 (object), row-major like
   * `tokens`. A tokenizer sets it for a job with `background: "transparent"`;
   * decoders that honour it output 4 channels. The host checkpoints it with the tokens.
   */
  readonly alpha?: Uint8Array;
}

/** Interleaved 8-bit pixels, top row first. */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
  readonly data: Uint8Array;
}

/** Encoded bytes of a finished image. */
export interface EncodedImage {
  readonly format: OutputFormat;
  readonly bytes: Uint8Array;
}

/** A tensor as the host's ONNX runtime takes and returns it. */
export type Tensor =
  | { readonly type: 'float32'; readonly data: Float32Array; readonly dims: readonly number[] }
  | { readonly type: 'int64'; readonly data: BigInt64Array; readonly dims: readonly number[] }
  | { readonly type: 'int32'; readonly data: Int32Array; readonly dims: readonly number[] };

/** A loaded ONNX model. Sessions are owned by the host: load once in `setup`, run per job. */
export interface Model {
  readonly name: string;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the model off the event loop. Concurrent calls may be batched by the host. */
  run(feeds: Readonly<Record<string, Tensor>>, signal?: AbortSignal): Promise<Record<string, Tensor>>;
}

/** How the host may run a model; every field is optional. */
export interface ModelLoadOptions {
  /**
   * Opts the model into dynamic batching. Names the inputs whose dim 0 is the
   * batch dimension: concurrent `run` calls (from different jobs) whose
   * batched inputs agree on every other dim, and whose remaining inputs are
   * equal, may be concatenated along dim 0 into one ONNX run and split back.
   * Every output must then carry the batch on dim 0 too. Leave it out for
   * models that cannot batch; each call then runs on its own.
   *
   * @example
   * runtime.load('lumen/progressive-decoder', path, warmup, { batchInputs: ['tokens'] });
   */
  readonly batchInputs?: readonly string[];
}

/** The host's ONNX runtime, handed to `setup`. */
export interface ModelRuntime {
  /**
   * Loads (once per process) and warms up the model at `path`.
   * @param name a namespaced name used in logs and metrics, e.g. `lumen/decoder`.
   * @param path an absolute file path to a `.onnx` file.
   * @param warmup feeds for one warm-up run, so the first job does not pay for lazy initialisation.
   * @param options how the host may run it, e.g. {@link ModelLoadOptions.batchInputs}. Loading
   *   the same path again with different options is an error, since the session is shared.
   */
  load(name: string, path: string, warmup?: Readonly<Record<string, Tensor>>, options?: ModelLoadOptions): Promise<Model>;
}

/** Structured logging provided by the host; fields are merged into the log line. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Given to `setup`, once per process. */
export interface SetupContext {
  readonly logger: Logger;
  readonly runtime: ModelRuntime;
}

/** Given to every hook call. */
export interface HookContext {
  readonly job: GenerationSpec;
  /** Which of the job's `n` images this call is about. */
  readonly imageIndex: number;
  /** The seed of this image (`job.seed + imageIndex`). */
  readonly seed: number;
  /** Aborted when the job is cancelled, its lease is lost, or the worker shuts down. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /**
   * The provenance payload (WATERMARK_PAYLOAD_BYTES bytes) the host assigned to this image.
   * Watermark stages embed it; the host records it in its provenance registry.
   */
  readonly watermarkPayload: Uint8Array;
}

/** The size of every watermark payload: what the host assigns in `watermarkPayload` and what `detect()` reads back. */
export const WATERMARK_PAYLOAD_BYTES = 8;

/** Given to decode and safety hooks, which run once per pass. */
export interface PassContext extends HookContext {
  readonly grid: TokenGrid;
  /** 1-based index of this pass. */
  readonly pass: number;
  /** How many passes the job runs; the last one is full resolution. */
  readonly passes: number;
}

/**
 * One reading of a watermark payload. A detector that searches scales or
 * offsets returns its best few readings, most confident first; the host
 * accepts one only if it passes the payload's own checksum.
 */
export interface WatermarkCandidate {
  /** The WATERMARK_PAYLOAD_BYTES bytes read back. */
  readonly payload: Uint8Array;
  /** Detector-specific strength of the reading, higher is surer. */
  readonly confidence: number;
  /** The scale the image was read at relative to the marked original (0.5 = halved). */
  readonly scale?: number;
}

/** The answer of a safety check. A block aborts the job at the pass where it is found. */
export type SafetyVerdict =
  | { readonly allowed: true; readonly score?: number }
  | { readonly allowed: false; readonly category: string; readonly score: number; readonly reason: string };

export interface StageHooks {
  /**
   * Turns the prompt into a token grid. Stages run in order; each receives the
   * grid of the one before (undefined for the first) and may return it unchanged.
   */
  tokenize: { tokenize(ctx: HookContext, previous: TokenGrid | undefined): Promise<TokenGrid> | TokenGrid };
  /**
   * Renders one pass. Pass k reads the grid at `rows / 2^(passes-k)` resolution,
   * so passes go from blurry to crisp. Stages run in order within a pass; each
   * receives the image of the one before (undefined for the first).
   */
  decode: { decodePass(ctx: PassContext, previous: RawImage | undefined): Promise<RawImage> | RawImage };
  /**
   * Checks the prompt before tokenization and/or each pass's image. Every
   * safety stage runs; the first block aborts the job.
   */
  safety: {
    checkPrompt?(ctx: HookContext): Promise<SafetyVerdict> | SafetyVerdict;
    checkPass?(ctx: PassContext, image: RawImage): Promise<SafetyVerdict> | SafetyVerdict;
  };
  /**
   * Marks the final pixels. Stages run in order, each on the output of the one before.
   * A stage that can read its mark back offers `detect`, which the host's
   * provenance verifier calls on images of unknown origin.
   */
  watermark: {
    watermark(ctx: HookContext, image: RawImage): Promise<RawImage> | RawImage;
    detect?(image: RawImage): Promise<readonly WatermarkCandidate[]> | readonly WatermarkCandidate[];
  };
  /**
   * Encodes the final pixels. The first stage receives undefined as `previous`
   * and must encode; later ones may rewrite the bytes (e.g. to add metadata).
   */
  encode: { encode(ctx: HookContext, image: RawImage, previous: EncodedImage | undefined): Promise<EncodedImage> | EncodedImage };
}

/**
 * The shape of a stage name: `scope/name`, lower-case letters, digits and
 * dashes, e.g. `lumen/invisible-watermark`. The host refuses any other name.
 */
export const STAGE_NAME_PATTERN = /^[a-z0-9][a-z0-9-]*\/[a-z0-9][a-z0-9-]*$/;

/** What every stage has, whatever its kind. */
export interface StageBase {
  /** Required and namespaced, `scope/name`: `lumen/invisible-watermark`, `acme/upscale`. */
  readonly name: string;
  /** Coarse ordering band within the kind; default is the normal band between the two. */
  readonly order?: 'pre' | 'post';
  /** Names of stages of the same kind that must run before this one. */
  readonly after?: readonly string[];
  /** Called once before the first job: load models, open files. */
  setup?(ctx: SetupContext): Promise<void> | void;
  /** Called once on shutdown: release what `setup` took. */
  dispose?(): Promise<void> | void;
}

/** A stage of kind `K`, as the host sees it. */
export type Stage<K extends StageKind = StageKind> = K extends StageKind
  ? StageBase & StageHooks[K] & { readonly kind: K; readonly apiVersion: number }
  : never;

/** What a stage factory returns: the stage without the fields `defineStage` fills in. */
export type StageDefinition<K extends StageKind> = StageBase & StageHooks[K];

/**
 * Declares a stage. The factory takes one options object and returns the
 * stage's name, ordering and hooks; `defineStage` stamps the kind and API version.
 *
 * @example
 * export default defineStage('watermark', (opts: { strength?: number } = {}) => ({
 *   name: 'acme/visible-stamp',
 *   watermark(ctx, image) { return stamp(image, opts.strength ?? 0.2); },
 * }));
 */
export function defineStage<K extends StageKind, Options extends object = Record<string, never>>(
  kind: K,
  factory: (options: Options) => StageDefinition<K>,
): StageFactory<K, Options> {
  return (...args: [options?: Options]) => {
    const definition = factory(args[0] ?? ({} as Options));
    return { ...definition, kind, apiVersion: API_VERSION } as unknown as Stage<K>;
  };
}

/** A stage factory; the options argument may be left out when every option is optional. */
export type StageFactory<K extends StageKind, Options> = (
  ...args: {} extends Options ? [options?: Options] : [options: Options]
) => Stage<K>;

/** Thrown by a stage to abort the job with a message for the client (no retry). */
export class StageRejection extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'StageRejection';
  }
}

/** Worker threads for CPU-heavy stages: {@link WorkerThread} calls one and replaces it when it dies. */
