/**
 * The stage contract suite: vitest checks every Lumen stage must pass, the
 * built-in ones included. Run it on your own plugin from any vitest test file:
 *
 * @example
 * import { describeStageContract } from 'lumen/plugins/sdk/testing/index.js'; // or a relative path
 * import myStage from '../src/index.js';
 * describeStageContract('acme/upscale', () => myStage({ factor: 2 }));
 *
 * This module imports vitest (and sharp, to read back encoded images), so
 * import it from tests only, never from a plugin's runtime code.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_VERSION,
  STAGE_KINDS,
  STAGE_NAME_PATTERN,
  type EncodedImage,
  type GenerationSpec,
  type HookContext,
  type Logger,
  type ModelRuntime,
  type OutputFormat,
  type PassContext,
  type RawImage,
  type SafetyVerdict,
  type Stage,
  type TokenGrid,
} from '../index.js';

/** A runtime the suite may dispose when it is done (the host's `OnnxRuntime` has `dispose`). */
export type ContractRuntime = ModelRuntime & { dispose?(): Promise<void> | void };

export interface StageContractOptions {
  /**
   * Makes the runtime handed to `setup`; the suite disposes it afterwards.
   * Required for stages that load a model, e.g. `() => new OnnxRuntime()`.
   * Without it, `runtime.load` rejects with a message saying so.
   */
  runtime?: () => ContractRuntime;
  /** Changes to the job the hooks see. Default: 96×64, n 1, seed 7, png, prompt "a red circle on a blue background". */
  job?: Partial<Omit<GenerationSpec, 'n'>>;
  /** Passes a decode stage is run for. Default 4. */
  passes?: number;
  /** The grid decode and safety stages get. Default: a 16×16 pseudo-random grid over a 256-token codebook. */
  grid?: TokenGrid;
  /** The image watermark, encode and `checkPass` hooks get, and a decode stage's `previous`. Default: a gradient at the job's size. */
  image?: RawImage;
  /**
   * Whether a decode stage gets an image from an earlier stage as `previous`.
   * Default true: post-processors need one, and the first decode stage must ignore it.
   */
  decodeWithPrevious?: boolean;
  /** Formats an encode stage is tried with. Default png, jpeg and webp. */
  formats?: readonly OutputFormat[];
  /** How long a hook may take to give up once its signal is aborted (ms). Default 10 000. */
  abortTimeoutMs?: number;
  /**
   * Whether an encode stage gives the very same bytes for the same input. Default true.
   * Set it false for a stage that signs its output (a C2PA manifest carries random
   * salts): the suite then requires the same decoded pixels instead.
   */
  deterministicBytes?: boolean;
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

const MAGIC: Record<OutputFormat, (bytes: Uint8Array) => boolean> = {
  png: (b) => [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((byte, i) => b[i] === byte),
  jpeg: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  webp: (b) => Buffer.from(b.subarray(0, 4)).toString('latin1') === 'RIFF' && Buffer.from(b.subarray(8, 12)).toString('latin1') === 'WEBP',
};

function defaultJob(overrides: StageContractOptions['job'] = {}): GenerationSpec {
  return {
    jobId: 'job_contract',
    prompt: 'a red circle on a blue background',
    width: 96,
    height: 64,
    quality: 'auto',
    outputFormat: 'png',
    outputCompression: 90,
    seed: 7,
    ...overrides,
    n: 1,
  };
}

function defaultGrid(): TokenGrid {
  const rows = 16;
  const cols = 16;
  return { rows, cols, codebookSize: 256, tokens: Int32Array.from({ length: rows * cols }, (_, i) => (i * 37 + 11) % 256) };
}

function defaultImage(width: number, height: number): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const offset = (y * width + x) * 3;
      data[offset] = Math.round((x * 255) / Math.max(1, width - 1));
      data[offset + 1] = Math.round((y * 255) / Math.max(1, height - 1));
      data[offset + 2] = ((x >> 3) + (y >> 3)) % 2 === 0 ? 200 : 40;
    }
  }
  return { width, height, channels: 3, data };
}

function missingRuntime(name: string): ContractRuntime {
  return {
    load: () =>
      Promise.reject(new Error(`${name} loads a model: pass { runtime: () => new OnnxRuntime() } to describeStageContract`)),
  };
}

function expectValidImage(image: RawImage, width: number, height: number): void {
  expect(image.width, 'image width').toBe(width);
  expect(image.height, 'image height').toBe(height);
  expect([3, 4], 'image channels').toContain(image.channels);
  expect(image.data, 'image data').toBeInstanceOf(Uint8Array);
  expect(image.data.length, 'image data length').toBe(width * height * image.channels);
}

function expectValidGrid(grid: TokenGrid): void {
  expect(Number.isInteger(grid.rows) && grid.rows > 0, `rows ${grid.rows}`).toBe(true);
  expect(Number.isInteger(grid.cols) && grid.cols > 0, `cols ${grid.cols}`).toBe(true);
  expect(Number.isInteger(grid.codebookSize) && grid.codebookSize > 0, `codebookSize ${grid.codebookSize}`).toBe(true);
  expect(grid.tokens).toBeInstanceOf(Int32Array);
  expect(grid.tokens.length, 'tokens.length = rows * cols').toBe(grid.rows * grid.cols);
  const outside = grid.tokens.findIndex((token) => token < 0 || token >= grid.codebookSize);
  expect(outside, `token ${grid.tokens[outside]} at ${outside} is outside the codebook`).toBe(-1);
}

function expectValidVerdict(verdict: SafetyVerdict): void {
  expect(typeof verdict.allowed).toBe('boolean');
  if (verdict.score !== undefined) expect(Number.isFinite(verdict.score), 'score is a finite number').toBe(true);
  if (!verdict.allowed) {
    expect(typeof verdict.category === 'string' && verdict.category.length > 0, 'a block names its category').toBe(true);
    expect(typeof verdict.reason === 'string' && verdict.reason.length > 0, 'a block gives a reason').toBe(true);
    expect(Number.isFinite(verdict.score), 'a block has a score').toBe(true);
  }
}

const bytesOf = (value: Uint8Array | Int32Array) => Buffer.from(value.buffer, value.byteOffset, value.byteLength);
const decodedPixels = async (bytes: Uint8Array) => sharp(bytes).raw().toBuffer();

/**
 * Registers a vitest `describe` block that checks one stage against the
 * plugin contract: a namespaced name equal to `name`, the host's API major,
 * the hooks its kind requires, ordering the host accepts, safe setup and
 * dispose, no hang on an aborted signal, outputs of the right shape for its
 * kind, inputs left unmodified, and the same output for the same input.
 *
 * @param name the stage's expected name, e.g. `acme/upscale`.
 * @param makeStage makes a fresh stage each call (some checks need a second instance).
 * @param options the runtime for stages that load models, and the inputs to try.
 */
export function describeStageContract(name: string, makeStage: () => Stage, options: StageContractOptions = {}): void {
  const job = defaultJob(options.job);
  const passes = options.passes ?? 4;
  const grid = options.grid ?? defaultGrid();
  const image = options.image ?? defaultImage(job.width, job.height);
  const formats = options.formats ?? (['png', 'jpeg', 'webp'] as const);
  const abortTimeoutMs = options.abortTimeoutMs ?? 10_000;
  const decodeWithPrevious = options.decodeWithPrevious ?? true;
  const deterministicBytes = options.deterministicBytes ?? true;

  describe(`stage contract: ${name}`, () => {
    let runtime: ContractRuntime;
    let stage: Stage;
    const others: Stage[] = [];

    const hookContext = (signal = new AbortController().signal, spec = job): HookContext => ({
      job: spec,
      imageIndex: 0,
      seed: spec.seed,
      signal,
      logger: silent,
      watermarkPayload: new Uint8Array(8).fill(0xa5),
    });
    const passContext = (pass: number, signal?: AbortSignal): PassContext => ({ ...hookContext(signal), grid, pass, passes });

    /** Calls the stage's main hook(s) once with the default inputs; returns everything it produced. */
    const exercise = async (target: Stage, signal?: AbortSignal, spec = job): Promise<unknown[]> => {
      switch (target.kind) {
        case 'tokenize':
          return [await target.tokenize(hookContext(signal, spec), undefined)];
        case 'decode':
          return [await target.decodePass(passContext(passes, signal), decodeWithPrevious ? image : undefined)];
        case 'safety':
          return [await target.checkPrompt?.(hookContext(signal, spec)), await target.checkPass?.(passContext(passes, signal), image)];
        case 'watermark':
          return [await target.watermark(hookContext(signal, spec), image)];
        case 'encode':
          return [await target.encode(hookContext(signal, spec), image, undefined)];
      }
    };

    beforeAll(async () => {
      runtime = options.runtime?.() ?? missingRuntime(name);
      stage = makeStage();
      await stage.setup?.({ logger: silent, runtime });
    });

    afterAll(async () => {
      for (const other of others) await other.dispose?.();
      await stage?.dispose?.();
      await runtime?.dispose?.();
    });

    it('should have the expected, namespaced name', () => {
      expect(stage.name).toBe(name);
      expect(STAGE_NAME_PATTERN.test(stage.name), `"${stage.name}" is not scope/name in lower case`).toBe(true);
    });

    it(`should target plugin API major ${API_VERSION}`, () => {
      expect(typeof stage.apiVersion).toBe('number');
      expect(Math.floor(stage.apiVersion)).toBe(API_VERSION);
    });

    it('should be a known kind with the hooks that kind requires', () => {
      expect(STAGE_KINDS).toContain(stage.kind);
      const hooks: Record<Stage['kind'], readonly string[]> = {
        tokenize: ['tokenize'],
        decode: ['decodePass'],
        safety: [],
        watermark: ['watermark'],
        encode: ['encode'],
      };
      for (const hook of hooks[stage.kind]) expect(typeof (stage as unknown as Record<string, unknown>)[hook], `${hook}()`).toBe('function');
      if (stage.kind === 'safety') expect(Boolean(stage.checkPrompt ?? stage.checkPass), 'checkPrompt() or checkPass()').toBe(true);
    });

    it('should declare ordering the host accepts', () => {
      expect([undefined, 'pre', 'post']).toContain(stage.order);
      for (const dependency of stage.after ?? []) {
        expect(STAGE_NAME_PATTERN.test(dependency), `after: "${dependency}" is not a stage name`).toBe(true);
        expect(dependency, 'a stage cannot run after itself').not.toBe(stage.name);
      }
    });

    it('should survive dispose without setup, dispose twice, and setup again', async () => {
      const unused = makeStage();
      await unused.dispose?.();
      await unused.dispose?.();
      const again = makeStage();
      others.push(again);
      await again.setup?.({ logger: silent, runtime });
      await again.setup?.({ logger: silent, runtime });
      expect((await exercise(again)).length).toBeGreaterThan(0);
      await again.dispose?.();
      await again.dispose?.();
      // The first instance must still work: a stage may not release what the host's runtime shares.
      expect((await exercise(stage)).length).toBeGreaterThan(0);
    });

    it('should give up or finish, never hang, when its signal is already aborted', async () => {
      const controller = new AbortController();
      controller.abort(new Error('job cancelled'));
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        Promise.resolve()
          .then(() => exercise(stage, controller.signal))
          .then(
            () => 'settled',
            () => 'settled',
          ),
        new Promise<string>((resolve) => (timer = setTimeout(() => resolve('hung'), abortTimeoutMs))),
      ]);
      clearTimeout(timer);
      expect(outcome).toBe('settled');
    });

    it('should not modify its inputs', async () => {
      const gridBefore = Buffer.from(bytesOf(grid.tokens));
      const imageBefore = Buffer.from(bytesOf(image.data));
      await exercise(stage);
      expect(bytesOf(grid.tokens).equals(gridBefore), 'the grid was modified in place').toBe(true);
      expect(bytesOf(image.data).equals(imageBefore), 'the input image was modified in place; return a copy').toBe(true);
    });

    it('should give the same output for the same input', async () => {
      const [first, second] = [await exercise(stage), await exercise(stage)];
      if (stage.kind === 'encode' && !deterministicBytes) {
        const [a, b] = [first[0] as EncodedImage, second[0] as EncodedImage];
        expect(b.format).toBe(a.format);
        expect((await decodedPixels(b.bytes)).equals(await decodedPixels(a.bytes)), 'the same input decodes to the same pixels').toBe(true);
        return;
      }
      expect(second).toEqual(first);
    });

    it('should produce output of the shape its kind requires', async () => {
      {
        switch (stage.kind) {
          case 'tokenize': {
            expectValidGrid(await stage.tokenize(hookContext(), undefined));
            return;
          }
          case 'decode': {
            let previous: RawImage | undefined = decodeWithPrevious ? image : undefined;
            for (let pass = 1; pass <= passes; pass++) {
              const output = await stage.decodePass(passContext(pass), previous);
              expectValidImage(output, job.width, job.height);
              previous = decodeWithPrevious ? image : output;
            }
            return;
          }
          case 'safety': {
            if (stage.checkPrompt) expectValidVerdict(await stage.checkPrompt(hookContext()));
            for (let pass = 1; stage.checkPass && pass <= passes; pass++) expectValidVerdict(await stage.checkPass(passContext(pass), image));
            return;
          }
          case 'watermark': {
            const output = await stage.watermark(hookContext(), image);
            expectValidImage(output, image.width, image.height);
            expect(output.channels, 'a watermark keeps the channel count').toBe(image.channels);
            return;
          }
          case 'encode': {
            for (const format of formats) {
              const spec = { ...job, outputFormat: format };
              const output: EncodedImage = await stage.encode(hookContext(undefined, spec), image, undefined);
              expect(output.format, `asked for ${format}`).toBe(format);
              expect(output.bytes).toBeInstanceOf(Uint8Array);
              expect(MAGIC[format](output.bytes), `bytes start like a ${format} file`).toBe(true);
              const metadata = await sharp(output.bytes).metadata();
              expect([metadata.width, metadata.height], `${format} dimensions`).toEqual([image.width, image.height]);
              const again = await stage.encode(hookContext(undefined, spec), image, undefined);
              if (deterministicBytes) expect(Buffer.from(again.bytes).equals(Buffer.from(output.bytes)), `${format} bytes are deterministic`).toBe(true);
              else expect((await decodedPixels(again.bytes)).equals(await decodedPixels(output.bytes)), `${format} pixels are deterministic`).toBe(true);
            }
            return;
          }
        }
      }
    });
  });
}
