import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxRuntime } from '../../origin-gpu/runtime/onnx-runtime.js';
import { CODEBOOK_SIZE, DECODER_MODEL_URL, NAMED_COLOURS, nearestToken, tokenColour } from '../../plugins/pack-default/index.js';
import progressiveDecoder, { passResolution, poolGrid } from '../../plugins/decode-progressive/index.js';
import sceneTokenizer from '../../plugins/tokenize-scene/index.js';
import type { GenerationSpec, HookContext, Logger, PassContext, RawImage } from '../../plugins/sdk/index.js';
import { rebuildModel } from './rebuild-model.js';

const MODEL_PATH = fileURLToPath(DECODER_MODEL_URL);
const BUILD_SCRIPT = fileURLToPath(new URL('../../plugins/pack-default/build-decoder.ts', import.meta.url));
const PASSES = 4;

const logger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function job(prompt: string, seed: number, width = 256, height = 256): GenerationSpec {
  return { jobId: 'job_test', prompt, width, height, n: 1, quality: 'auto', outputFormat: 'png', outputCompression: 100, seed };
}

function pixel(image: RawImage, x: number, y: number): [number, number, number] {
  const i = (y * image.width + x) * image.channels;
  return [image.data[i] ?? -1, image.data[i + 1] ?? -1, image.data[i + 2] ?? -1];
}

/**
 * High-frequency energy at the token scale: the mean absolute 4-neighbour
 * Laplacian of the image box-averaged by `block`. Measured per pixel instead,
 * 8-bit rounding noise in the wide bilinear ramps of coarse passes outweighs
 * the edges, although those passes carry less detail.
 */
function laplacianEnergy(image: RawImage, block: number): number {
  const width = image.width / block;
  const height = image.height / block;
  const small = new Float64Array(width * height * 3);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      for (let c = 0; c < 3; c++) {
        const i = (Math.floor(y / block) * width + Math.floor(x / block)) * 3 + c;
        small[i] = (small[i] ?? 0) + (image.data[(y * image.width + x) * image.channels + c] ?? 0) / (block * block);
      }
    }
  }
  const at = (x: number, y: number, c: number) => small[(y * width + x) * 3 + c] ?? 0;
  let sum = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      for (let c = 0; c < 3; c++) {
        sum += Math.abs(4 * at(x, y, c) - at(x - 1, y, c) - at(x + 1, y, c) - at(x, y - 1, c) - at(x, y + 1, c));
      }
    }
  }
  return sum / ((width - 2) * (height - 2) * 3);
}

describe('lumen/progressive-decoder with the real ONNX runtime', () => {
  const runtime = new OnnxRuntime();
  const tokenizer = sceneTokenizer();
  const decoder = progressiveDecoder();

  beforeAll(async () => {
    await decoder.setup?.({ logger, runtime });
  });

  afterAll(async () => {
    await decoder.dispose?.();
    await runtime.dispose();
  });

  async function render(spec: GenerationSpec, signal = new AbortController().signal): Promise<RawImage[]> {
    const hook: HookContext = { job: spec, imageIndex: 0, seed: spec.seed, signal, logger, watermarkPayload: new Uint8Array(8) };
    const grid = await tokenizer.tokenize(hook, undefined);
    const images: RawImage[] = [];
    for (let pass = 1; pass <= PASSES; pass++) {
      const ctx: PassContext = { ...hook, grid, pass, passes: PASSES };
      images.push(await decoder.decodePass(ctx, images.at(-1)));
    }
    return images;
  }

  it('should read the grid at rows / 2^(passes - pass)', () => {
    expect([1, 2, 3, 4].map((pass) => passResolution(64, pass, 4))).toEqual([8, 16, 32, 64]);
    expect(passResolution(64, 1, 10)).toBe(1);
  });

  it('should pool each block to the token nearest its mean colour', () => {
    const red = nearestToken(...NAMED_COLOURS.red);
    const blue = nearestToken(...NAMED_COLOURS.blue);
    // Left half red, right half blue, 4x4.
    const tokens = Int32Array.from({ length: 16 }, (_, i) => (i % 4 < 2 ? red : blue));
    const grid = { rows: 4, cols: 4, codebookSize: CODEBOOK_SIZE, tokens };
    expect(Array.from(poolGrid(grid, 2, 2).tokens)).toEqual([red, blue, red, blue]);
    const [mixed] = poolGrid(grid, 1, 1).tokens;
    const [r, g, b] = tokenColour(mixed ?? -1);
    expect(r).toBeGreaterThan(0.3);
    expect(b).toBeGreaterThan(0.4);
    expect(g).toBeLessThan(0.35);
  });

  it('should render a red circle on a blue background, sharper every pass', async () => {
    const images = await render(job('a red circle on a blue background', 7));
    const final = images.at(-1);
    if (!final) throw new Error('no passes rendered');
    expect(final).toMatchObject({ width: 256, height: 256, channels: 3 });
    expect(final.data).toHaveLength(256 * 256 * 3);

    const [r, g, b] = pixel(final, 128, 128);
    expect(r).toBeGreaterThan(180);
    expect(g).toBeLessThan(80);
    expect(b).toBeLessThan(80);
    const [cr, , cb] = pixel(final, 2, 2);
    expect(cb).toBeGreaterThan(150);
    expect(cr).toBeLessThan(80);

    // 256 px over a 64-token grid: 4 px per token. Each pass should add clearly more detail, not just a little.
    const energy = images.map((image) => laplacianEnergy(image, 4));
    for (let k = 1; k < energy.length; k++) expect(energy[k]).toBeGreaterThan(1.25 * (energy[k - 1] ?? Infinity));
  });

  it('should honour a non-square output size', async () => {
    const images = await render(job('a red circle on a blue background', 7, 320, 192));
    const final = images.at(-1);
    expect(final).toMatchObject({ width: 320, height: 192, channels: 3 });
    expect(pixel(final as RawImage, 160, 96)[0]).toBeGreaterThan(180);
  });

  it('should give identical bytes for the same seed and different bytes for another prompt', async () => {
    const [a, b, other] = await Promise.all([
      render(job('three pastel stars above a house', 42)),
      render(job('three pastel stars above a house', 42)),
      render(job('a green triangle', 42)),
    ]);
    expect(Buffer.from(a.at(-1)?.data ?? []).equals(Buffer.from(b.at(-1)?.data ?? []))).toBe(true);
    expect(Buffer.from(a.at(-1)?.data ?? []).equals(Buffer.from(other.at(-1)?.data ?? []))).toBe(false);
  });

  it('should reject a pass whose signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await expect(render(job('a red circle', 1), controller.signal)).rejects.toThrow('cancelled');
  });

  it('should rebuild a byte-identical decoder.onnx', async () => {
    const [rebuilt, committed] = await Promise.all([rebuildModel(BUILD_SCRIPT), readFile(MODEL_PATH)]);
    expect(rebuilt.length).toBeGreaterThan(0);
    expect(rebuilt.equals(committed)).toBe(true);
  });


  it('should upsample a transparent grid\'s alpha exactly as it upsamples colour, at every pass, and stay 3 channels when opaque', async () => {
    // Black and white tokens whose alpha matches their colour: decoded alpha must follow the decoded red channel pixel for pixel,
    // exactly at full resolution; coarse passes pool colour to the nearest codebook grey, alpha to the exact mean.
    const rows = 32;
    const white = nearestToken(1, 1, 1);
    const black = nearestToken(0, 0, 0);
    const inside = (i: number) => Math.hypot((i % rows) - 15.5, Math.floor(i / rows) - 12) < 9;
    const tokens = Int32Array.from({ length: rows * rows }, (_, i) => (inside(i) ? white : black));
    const alpha = Uint8Array.from({ length: rows * rows }, (_, i) => (inside(i) ? 255 : 0));
    const spec: GenerationSpec = { ...job('a white circle', 1, 192, 128), background: 'transparent' };
    const hook: HookContext = { job: spec, imageIndex: 0, seed: 1, signal: new AbortController().signal, logger, watermarkPayload: new Uint8Array(8) };
    for (let pass = 1; pass <= PASSES; pass++) {
      const grid = { rows, cols: rows, codebookSize: CODEBOOK_SIZE, tokens, alpha };
      const image = await decoder.decodePass({ ...hook, grid, pass, passes: PASSES }, undefined);
      expect(image.channels).toBe(4);
      let mismatches = 0;
      const tolerance = pass === PASSES ? 1 : 20;
      for (let i = 0; i < 192 * 128; i++) if (Math.abs(image.data[4 * i]! - image.data[4 * i + 3]!) > tolerance) mismatches++;
      expect(mismatches, `pass ${pass}`).toBe(0);
      const opaque = await decoder.decodePass({ ...hook, job: { ...spec, background: 'opaque' }, grid, pass, passes: PASSES }, undefined);
      expect(opaque.channels).toBe(3);
    }
  });
});
