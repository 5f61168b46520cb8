import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePreview, previewPasses } from '../../origin-gpu/pipeline/previews.js';
import { assemblePipeline, loadPipeline, type Pipeline } from '../../origin-gpu/pipeline/registry.js';
import { disposePipeline, JobStopped, runJob, SafetyBlock, setupPipeline, StageFailure, type RunOptions } from '../../origin-gpu/pipeline/runner.js';
import { decodeGrid, encodeGrid } from '../../origin-gpu/edits.js';
import { decodeImage } from '../../origin-gpu/images/decode-image.js';
import { payloadsForJob } from '../../origin-gpu/provenance/payload.js';
import { OnnxRuntime } from '../../origin-gpu/runtime/onnx-runtime.js';
import { readManifest } from '../../plugins/c2pa-manifest/index.js';
import { encodeRaw } from '../../plugins/encode-sharp/index.js';
import { defineStage, StageRejection, type EncodedImage, type GenerationSpec, type Logger } from '../../plugins/sdk/index.js';

const DEFAULT_PIPELINE = fileURLToPath(new URL('../../origin-gpu/pipeline.json', import.meta.url));
const FROM_DOCS_PIPELINE = fileURLToPath(new URL('../fixtures/plugins/from-docs/pipeline.json', import.meta.url));

const warnings: string[] = [];
const logger: Logger = { debug() {}, info() {}, warn: (message) => void warnings.push(message), error() {} };

function job(overrides: Partial<GenerationSpec> = {}): GenerationSpec {
  return {
    jobId: 'job_runner',
    prompt: 'a red circle on a blue background',
    width: 128,
    height: 128,
    n: 1,
    quality: 'auto',
    outputFormat: 'png',
    outputCompression: 100,
    seed: 3,
    ...overrides,
  };
}

const options = (extra: Partial<RunOptions> = {}, n = 1): RunOptions => ({
  signal: new AbortController().signal,
  logger,
  watermarkPayloads: payloadsForJob('job_runner', n, 'tenant_runner'),
  ...extra,
});

/** Alpha of every pixel, and the image's format and channel count as sharp reads them. */
async function alphaOf(bytes: Uint8Array): Promise<{ format: string | undefined; channels: number; width: number; alpha: Uint8Array }> {
  const metadata = await sharp(bytes).metadata();
  const { data, info } = await sharp(bytes).ensureAlpha().extractChannel(3).raw().toBuffer({ resolveWithObject: true });
  return { format: metadata.format, channels: metadata.channels ?? 0, width: info.width, alpha: new Uint8Array(data) };
}

async function rgbAt(bytes: Uint8Array, x: number, y: number): Promise<[number, number, number]> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [data[i]!, data[i + 1]!, data[i + 2]!];
}

/** A decode post-processor that breaks on prompts mentioning fire, like a plugin with a bug. */
const flaky = defineStage('decode', () => ({
  name: 'acme/flaky',
  order: 'post',
  after: ['lumen/progressive-decoder'],
  decodePass(ctx, previous) {
    if (ctx.job.prompt.includes('fire')) throw new Error('cannot draw fire');
    if (ctx.job.prompt.includes('banned')) throw new StageRejection('Prompts may not say "banned".', 'acme_banned');
    return previous!;
  },
}));

/** Blocks at pass 3: previews must never show a pass that failed its safety check. */
const blockAtPass3 = defineStage('safety', () => ({
  name: 'acme/pass-3-blocker',
  checkPass: (ctx) =>
    ctx.pass === 3 && ctx.job.prompt.includes('unsafe')
      ? { allowed: false as const, category: 'test', score: 1, reason: 'blocked at pass 3' }
      : { allowed: true as const },
}));

describe('runJob', () => {
  const runtime = new OnnxRuntime();
  let base: Pipeline;
  let pipeline: Pipeline;

  beforeAll(async () => {
    base = await loadPipeline(DEFAULT_PIPELINE);
    pipeline = assemblePipeline([...base.stages, flaky(), blockAtPass3()], base.passes);
    await setupPipeline(pipeline, { logger, runtime });
  });

  afterAll(async () => {
    await disposePipeline(pipeline, logger);
    await runtime.dispose();
  });

  describe('a plugin that throws', () => {
    it('should fail only its job, with a StageFailure naming the plugin, and the next job should succeed', async () => {
      const failed = runJob(pipeline, job({ jobId: 'job_fire', prompt: 'a house on fire' }), options());
      await expect(failed).rejects.toBeInstanceOf(StageFailure);
      await expect(failed).rejects.toMatchObject({ stage: 'acme/flaky', message: 'Plugin "acme/flaky" failed: cannot draw fire' });

      const next = await runJob(pipeline, job({ jobId: 'job_after' }), options());
      expect(next.images).toHaveLength(1);
      expect(await rgbAt(next.images[0]!.bytes, 64, 64)).toSatisfy(([r, g, b]: number[]) => r! > 180 && g! < 80 && b! < 80);
    });

    it('should not disturb a job running at the same time', async () => {
      const [bad, good] = await Promise.allSettled([
        runJob(pipeline, job({ jobId: 'job_fire_2', prompt: 'fire' }), options()),
        runJob(pipeline, job({ jobId: 'job_good_2' }), options()),
      ]);
      expect(bad.status).toBe('rejected');
      expect(good.status).toBe('fulfilled');
    });

    it('should pass a StageRejection through unchanged, for the client', async () => {
      await expect(runJob(pipeline, job({ prompt: 'a banned circle' }), options())).rejects.toMatchObject({
        name: 'StageRejection',
        code: 'acme_banned',
      });
    });

    it('should stop, not fail, when the job is aborted', async () => {
      const controller = new AbortController();
      controller.abort(new JobStopped('cancelled'));
      await expect(runJob(pipeline, job(), options({ signal: controller.signal }))).rejects.toBeInstanceOf(JobStopped);
    });
  });

  it('should await beforePassCheck before every output check, and stop a job aborted while held there', async () => {
    const events: string[] = [];
    const outputChecks = pipeline.byKind('safety').filter((stage) => stage.checkPass).length;
    await runJob(
      pipeline,
      job(),
      options({
        beforePassCheck: async () => {
          events.push('hold');
          await new Promise((resolve) => setTimeout(resolve, 5));
          events.push('go');
        },
        onVerdict: (verdict) => void (verdict.stage === 'output' && events.push(`check ${verdict.pass}`)),
        onPassComplete: async (pass) => Boolean(events.push(`pass ${pass}`)),
      }),
    );
    const perPass = (pass: number) => [...Array.from({ length: outputChecks }, () => ['hold', 'go', `check ${pass}`]).flat(), `pass ${pass}`];
    expect(outputChecks).toBeGreaterThan(1);
    expect(events).toEqual([1, 2, 3, 4].flatMap(perPass));

    const controller = new AbortController();
    const held = runJob(pipeline, job(), {
      ...options({ beforePassCheck: async () => controller.abort(new Error('cancelled while yielding')) }),
      signal: controller.signal,
    });
    await expect(held).rejects.toBeInstanceOf(JobStopped);
  });

  describe('previews', () => {
    it('should pick the latest passes before the final one, spread evenly', () => {
      expect([0, 1, 2, 3].map((k) => previewPasses(4, k))).toEqual([[], [3], [2, 3], [1, 2, 3]]);
      expect(previewPasses(8, 3)).toEqual([2, 5, 7]);
      expect(previewPasses(2, 3)).toEqual([1]);
      expect(previewPasses(1, 3)).toEqual([]);
      expect(() => previewPasses(4, 4)).toThrow(RangeError);
      expect(() => previewPasses(4, 1.5)).toThrow(RangeError);
    });

    it('should send a small WebP of every image at the picked passes', async () => {
      const previews: { pass: number; imageIndex: number; preview: EncodedImage; partialImageIndex: number }[] = [];
      const completed: number[] = [];
      const result = await runJob(
        pipeline,
        job({ width: 512, height: 384, n: 2 }),
        options({
          partialImages: 2,
          onPreview: (pass, imageIndex, preview, partialImageIndex) => void previews.push({ pass, imageIndex, preview, partialImageIndex }),
          onPassComplete: async (pass) => {
            completed.push(pass);
            return true;
          },
        }, 2),
      );
      expect(result.images).toHaveLength(2);
      expect(previews.map(({ pass, imageIndex, partialImageIndex }) => [pass, imageIndex, partialImageIndex])).toEqual([
        [2, 0, 0],
        [2, 1, 0],
        [3, 0, 1],
        [3, 1, 1],
      ]);
      for (const { preview } of previews) {
        expect(preview.format).toBe('webp');
        const metadata = await sharp(preview.bytes).metadata();
        expect([metadata.format, metadata.width, metadata.height]).toEqual(['webp', 256, 192]);
        // It is the picture being rendered: the red circle is in the middle.
        const [r, , b] = await rgbAt(preview.bytes, 128, 96);
        expect(r).toBeGreaterThan(150);
        expect(b).toBeLessThan(120);
      }
      // Pass 2's preview is blurrier than pass 3's (the coarse pass blends the circle's edge).
      const [pass2, pass3] = [previews[0]!.preview, previews[2]!.preview];
      expect(Buffer.from(pass2.bytes).equals(Buffer.from(pass3.bytes))).toBe(false);
      expect(completed).toEqual([1, 2, 3, 4]);
    });

    it('should send nothing without partialImages, never enlarge, and refuse more than 3', async () => {
      let calls = 0;
      await runJob(pipeline, job(), options({ onPreview: () => void calls++ }));
      expect(calls).toBe(0);

      const sizes: number[][] = [];
      await runJob(
        pipeline,
        job({ width: 128, height: 64 }),
        options({ partialImages: 3, onPreview: async (_pass, _index, preview) => void sizes.push(await sharp(preview.bytes).metadata().then((m) => [m.width ?? 0, m.height ?? 0])) }),
      );
      expect(sizes).toEqual([
        [128, 64],
        [128, 64],
        [128, 64],
      ]);
      await expect(runJob(pipeline, job(), options({ partialImages: 4, onPreview: () => {} }))).rejects.toThrow(RangeError);
    });

    it('should not preview a pass that failed its safety check', async () => {
      const passes: number[] = [];
      const run = runJob(pipeline, job({ prompt: 'an unsafe red circle' }), options({ partialImages: 3, onPreview: (pass) => void passes.push(pass) }));
      await expect(run).rejects.toBeInstanceOf(SafetyBlock);
      expect(passes).toEqual([1, 2]);
    });

    it('should stop at the pass a classifier flags: no later pass runs, nothing is encoded, every verdict is reported', async () => {
      const flagAt2 = defineStage('safety', () => ({
        name: 'acme/flag-at-2',
        checkPass: (ctx) => (ctx.pass === 2 ? { allowed: false as const, category: 'test/flagged', score: 0.97, reason: 'flagged' } : { allowed: true as const, score: 0.02 }),
      }));
      const decoded: number[] = [];
      const countPasses = defineStage('decode', () => ({
        name: 'acme/pass-counter',
        order: 'post',
        decodePass(ctx, previous) {
          decoded.push(ctx.pass);
          return previous!;
        },
      }));
      const encodes: number[] = [];
      const countEncodes = defineStage('encode', () => ({
        name: 'acme/encode-counter',
        order: 'post',
        encode(ctx, _image, previous) {
          encodes.push(ctx.imageIndex);
          return previous!;
        },
      }));
      const flagging = assemblePipeline([...base.stages, flagAt2(), countPasses(), countEncodes()], base.passes);
      await setupPipeline(flagging, { logger, runtime });
      const verdicts: { stage: string; plugin: string; allowed: boolean; pass: number }[] = [];
      const checkpoints: number[] = [];
      const run = runJob(
        flagging,
        job({ n: 2 }),
        options({
          onVerdict: (verdict) => void verdicts.push(verdict),
          onPassComplete: async (pass) => {
            checkpoints.push(pass);
            return true;
          },
        }, 2),
      );
      await expect(run).rejects.toMatchObject({ name: 'SafetyBlock', stage: 'acme/flag-at-2', category: 'test/flagged', pass: 2, passesSkipped: 2 });
      expect(decoded).toEqual([1, 1, 2]);
      expect(checkpoints).toEqual([1]);
      expect(encodes).toEqual([]);
      expect(verdicts[0]).toMatchObject({ stage: 'input', plugin: 'lumen/prompt-policy', allowed: true, pass: 0 });
      expect(verdicts.at(-1)).toMatchObject({ stage: 'output', plugin: 'acme/flag-at-2', allowed: false, pass: 2 });
      expect(verdicts.some((verdict) => verdict.pass > 2)).toBe(false);
    });

    it('should refuse a blocked prompt before any token or pass, counting every pass as spared', async () => {
      const passes: number[] = [];
      const onPassComplete = async (pass: number) => {
        passes.push(pass);
        return true;
      };
      const run = runJob(pipeline, job({ prompt: 'gore on the floor' }), options({ onPassComplete }));
      await expect(run).rejects.toMatchObject({ name: 'SafetyBlock', stage: 'lumen/prompt-policy', category: 'violence/graphic', pass: 0, passesSkipped: 4 });
      expect(passes).toEqual([]);
      await expect(runJob(pipeline, job({ prompt: 'gore on the floor', moderation: 'low' }), options())).resolves.toBeDefined();
    });

    it('should hand every hook of an image the watermark payload the host gave it, and refuse a wrong count', async () => {
      const seen: [string, number, string][] = [];
      const spy = defineStage('watermark', () => ({
        name: 'acme/payload-spy',
        order: 'post',
        watermark(ctx, image) {
          seen.push(['watermark', ctx.imageIndex, Buffer.from(ctx.watermarkPayload).toString('hex')]);
          return image;
        },
      }));
      const spying = assemblePipeline([...base.stages, spy()], base.passes);
      await setupPipeline(spying, { logger, runtime });
      const payloads = [Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), Uint8Array.of(8, 7, 6, 5, 4, 3, 2, 1)];
      await runJob(spying, job({ n: 2 }), options({ watermarkPayloads: payloads }));
      expect(seen).toEqual([
        ['watermark', 0, '0102030405060708'],
        ['watermark', 1, '0807060504030201'],
      ]);
      await expect(runJob(spying, job({ n: 2 }), options({ watermarkPayloads: payloads.slice(0, 1) }))).rejects.toThrow(RangeError);
    });

    it('should skip previews of passes a resumed job does not run again', async () => {
      const first = await runJob(pipeline, job(), options());
      const passes: [number, number][] = [];
      const resumed = await runJob(
        pipeline,
        job(),
        options({ resumeFrom: { passesDone: 2, grids: first.grids }, partialImages: 3, onPreview: (pass, _index, _preview, partialImageIndex) => void passes.push([pass, partialImageIndex]) }),
      );
      expect(resumed.startedAtPass).toBe(3);
      // Pass 3 is still the job's third partial image, though this attempt sends no other.
      expect(passes).toEqual([[3, 2]]);
      // The same pixels; the bytes differ by the C2PA manifest's salts.
      const pixels = (bytes: Uint8Array) => sharp(bytes).raw().toBuffer();
      expect((await pixels(resumed.images[0]!.bytes)).equals(await pixels(first.images[0]!.bytes))).toBe(true);
    });

    it('should keep the job going when a preview cannot be delivered', async () => {
      warnings.length = 0;
      const result = await runJob(
        pipeline,
        job(),
        options({
          partialImages: 1,
          onPreview: () => {
            throw new Error('gateway unreachable');
          },
        }),
      );
      expect(result.images).toHaveLength(1);
      expect(warnings).toContain('preview failed; the job continues');
    });

    it('should render a transparent background in png and webp: alpha 0 around the object, 255 inside, soft edges, every stage run', async () => {
      for (const outputFormat of ['png', 'webp'] as const) {
        const verdicts: string[] = [];
        const previews: EncodedImage[] = [];
        const spec = job({ prompt: 'a huge red circle on a blue background', width: 512, height: 512, outputFormat, background: 'transparent' });
        const result = await runJob(
          pipeline,
          spec,
          options({ partialImages: 1, onPreview: (_pass, _index, preview) => void previews.push(preview), onVerdict: (v) => void verdicts.push(`${v.stage}:${v.plugin}:${v.pass}`) }),
        );
        const [image] = result.images;
        const { format, channels, width, alpha } = await alphaOf(image!.bytes);
        expect([format, channels]).toEqual([outputFormat, 4]);
        const at = (x: number, y: number) => alpha[y * width + x];
        expect([at(256, 256), at(4, 4), at(507, 507), at(4, 507)]).toEqual([255, 0, 0, 0]);
        // Anti-aliased: some pixels on the circle's edge are partly transparent.
        expect(alpha.some((value) => value > 0 && value < 255)).toBe(true);
        // The object keeps its colour; the hidden background does not bleed into it.
        const [r, g, b] = await rgbAt(image!.bytes, 256, 256);
        expect(r).toBeGreaterThan(200);
        expect(Math.max(g, b)).toBeLessThan(80);
        // The output classifier saw every pass, alpha and all.
        expect(verdicts.filter((verdict) => verdict.startsWith('output:lumen/output-classifier'))).toHaveLength(4);
        // The watermark lives in the object's pixels and reads back through the decoder verification uses.
        const [watermark] = pipeline.byKind('watermark');
        const candidates = await watermark!.detect!(await decodeImage(image!.bytes));
        expect(candidates.map((candidate) => Buffer.from(candidate.payload).toString('hex'))).toContain(Buffer.from(payloadsForJob('job_runner', 1, 'tenant_runner')[0]!).toString('hex'));
        // Content Credentials are attached to the RGBA file.
        expect((await readManifest(image!.bytes, outputFormat)).manifest).toBeTruthy();
        // The partial keeps the alpha too.
        const preview = await alphaOf(previews[0]!.bytes);
        expect([preview.format, preview.channels, preview.alpha[0], preview.alpha[128 * preview.width + 128]]).toEqual(['webp', 4, 0, 255]);
      }
    });

    it('should resume a transparent job from its checkpoint with the same pixels, alpha included', async () => {
      const spec = job({ outputFormat: 'png', background: 'transparent' });
      const checkpoints: string[] = [];
      const whole = await runJob(pipeline, spec, options({ onPassComplete: async (_pass, grids) => Boolean(checkpoints.push(JSON.stringify(grids.map(encodeGrid)))) }));
      const grids = (JSON.parse(checkpoints[1]!) as ReturnType<typeof encodeGrid>[]).map(decodeGrid);
      const resumed = await runJob(pipeline, spec, options({ resumeFrom: { passesDone: 2, grids } }));
      const raw = (bytes: Uint8Array) => sharp(bytes).raw().toBuffer();
      expect((await sharp(resumed.images[0]!.bytes).metadata()).channels).toBe(4);
      expect((await raw(resumed.images[0]!.bytes)).equals(await raw(whole.images[0]!.bytes))).toBe(true);
    });

    it('should leave an opaque job opaque, and show an RGBA image over white in a jpeg', async () => {
      for (const outputFormat of ['png', 'jpeg'] as const) {
        const result = await runJob(pipeline, job({ outputFormat, background: 'opaque' }), options());
        expect((await sharp(result.images[0]!.bytes).metadata()).channels).toBe(3);
      }
      // Clear pixels hiding black: a jpeg must not reveal what alpha hid.
      const clear = { width: 8, height: 8, channels: 4 as const, data: new Uint8Array(8 * 8 * 4) };
      const jpeg = await encodeRaw(clear, 'jpeg', 90);
      expect(await rgbAt(jpeg.bytes, 4, 4)).toEqual([255, 255, 255]);
    });

    it('should encode previews within 256 px on the longest side', async () => {
      const image = { width: 1000, height: 300, channels: 3 as const, data: new Uint8Array(1000 * 300 * 3).fill(200) };
      const metadata = await sharp((await encodePreview(image)).bytes).metadata();
      expect([metadata.width, metadata.height]).toEqual([256, 77]);
    });
  });
});

describe('a plugin written from docs/PLUGINS.md alone', () => {
  const runtime = new OnnxRuntime();
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await loadPipeline(FROM_DOCS_PIPELINE);
    await setupPipeline(pipeline, { logger, runtime });
  });

  afterAll(async () => {
    await disposePipeline(pipeline, logger);
    await runtime.dispose();
  });

  it('should load from a config file and stamp every generated image', async () => {
    const result = await runJob(pipeline, job({ width: 160, height: 96, n: 2 }), options({ partialImages: 1, onPreview: () => {} }, 2));
    expect(result.images).toHaveLength(2);
    for (const image of result.images) {
      const metadata = await sharp(image.bytes).metadata();
      expect([metadata.width, metadata.height]).toEqual([160, 96]);
      // The 24 px green stamp in the bottom-right corner, the red circle in the middle.
      expect(await rgbAt(image.bytes, 150, 90)).toEqual([0, 255, 0]);
      expect(await rgbAt(image.bytes, 130, 70)).not.toEqual([0, 255, 0]);
      const [r, g] = await rgbAt(image.bytes, 80, 48);
      expect(r).toBeGreaterThan(180);
      expect(g).toBeLessThan(80);
    }
  });
});
