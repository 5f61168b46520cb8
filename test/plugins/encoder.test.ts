import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxRuntime } from '../../origin-gpu/runtime/onnx-runtime.js';
import progressiveDecoder from '../../plugins/decode-progressive/index.js';
import {
  CODEBOOK_RGB,
  CODEBOOK_SIZE,
  ENCODER_MODEL_URL,
  loadTokenEncoder,
  nearestToken,
  tokenColour,
  type Rgb,
  type TokenEncoder,
} from '../../plugins/pack-default/index.js';
import { seededRandom as random, type GenerationSpec, type Logger, type PassContext, type RawImage, type TokenGrid } from '../../plugins/sdk/index.js';
import { compilePrompt, rasterize } from '../../plugins/tokenize-scene/index.js';
import { rebuildModel } from './rebuild-model.js';

const MODEL_PATH = fileURLToPath(ENCODER_MODEL_URL);
const BUILD_SCRIPT = fileURLToPath(new URL('../../plugins/pack-default/build-encoder.ts', import.meta.url));

const logger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Where the graph may pick another token than the float64 reference: two
 * entries whose squared distances to the cell mean are within float32 noise
 * (scores near 3 carry ~2e-7 of rounding; the reference resolves exact ties
 * to the lowest index, float32 resolves them either way).
 */
const FLOAT_TIE = 1e-5;

const squaredDistance = (token: number, [r, g, b]: Rgb) => {
  const [cr, cg, cb] = tokenColour(token);
  return (cr - r) ** 2 + (cg - g) ** 2 + (cb - b) ** 2;
};
const separation = (a: number, b: number) => Math.sqrt(squaredDistance(a, tokenColour(b)));

/** Overlap of pixel [p, p + 1) with each cell, over the cell's width: the encoder's area weights. */
function areaWeights(pixels: number, cells: number): Float64Array[] {
  const span = pixels / cells;
  return Array.from({ length: cells }, (_, c) =>
    Float64Array.from({ length: pixels }, (_, p) => Math.max(0, Math.min(p + 1, (c + 1) * span) - Math.max(p, c * span)) / span),
  );
}

/** The encoder in plain TypeScript and float64: per-cell area means, then nearestToken. */
function referenceEncode(image: RawImage, rows: number, cols: number): { tokens: Int32Array; means: Rgb[] } {
  const { width, height, channels, data } = image;
  const byRow = areaWeights(height, rows);
  const byCol = areaWeights(width, cols);
  const value = (x: number, y: number, c: number) => {
    const i = (y * width + x) * channels;
    const alpha = channels === 4 ? (data[i + 3] ?? 0) / 255 : 1;
    return ((data[i + c] ?? 0) * alpha + 255 * (1 - alpha)) / 255;
  };
  const means: Rgb[] = [];
  const tokens = new Int32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const mean = [0, 0, 0];
      for (let y = 0; y < height; y++) {
        const wy = byRow[r]?.[y] ?? 0;
        if (wy === 0) continue;
        for (let x = 0; x < width; x++) {
          const w = wy * (byCol[c]?.[x] ?? 0);
          if (w === 0) continue;
          for (let ch = 0; ch < 3; ch++) mean[ch] = (mean[ch] ?? 0) + w * value(x, y, ch);
        }
      }
      const rgb: Rgb = [mean[0] ?? 0, mean[1] ?? 0, mean[2] ?? 0];
      means.push(rgb);
      tokens[r * cols + c] = nearestToken(...rgb);
    }
  }
  return { tokens, means };
}

/**
 * What the decoder does to a cell's mean at an even integer scale: bilinear
 * half-pixel upsampling spreads each token over its own cell and half of each
 * neighbour's, so the mean of a decoded cell is the codebook colours blurred
 * by the separable kernel (1/8, 3/4, 1/8), edges clamped.
 */
function blurredMeans(grid: TokenGrid): Rgb[] {
  const kernel = [1 / 8, 3 / 4, 1 / 8];
  const means: Rgb[] = [];
  for (let r = 0; r < grid.rows; r++) {
    for (let c = 0; c < grid.cols; c++) {
      const mean = [0, 0, 0];
      for (let dr = -1; dr <= 1; dr++) {
        for (let dc = -1; dc <= 1; dc++) {
          const rr = Math.min(grid.rows - 1, Math.max(0, r + dr));
          const cc = Math.min(grid.cols - 1, Math.max(0, c + dc));
          const weight = (kernel[dr + 1] ?? 0) * (kernel[dc + 1] ?? 0);
          const colour = tokenColour(grid.tokens[rr * grid.cols + cc] ?? 0);
          for (let ch = 0; ch < 3; ch++) mean[ch] = (mean[ch] ?? 0) + weight * (colour[ch] ?? 0);
        }
      }
      means.push([mean[0] ?? 0, mean[1] ?? 0, mean[2] ?? 0]);
    }
  }
  return means;
}

/** Cells whose 3x3 neighbourhood (edges clamped) is one token. */
function uniformCells(grid: TokenGrid): number[] {
  const cells: number[] = [];
  for (let r = 0; r < grid.rows; r++) {
    for (let c = 0; c < grid.cols; c++) {
      const token = grid.tokens[r * grid.cols + c];
      let uniform = true;
      for (let dr = -1; dr <= 1 && uniform; dr++) {
        for (let dc = -1; dc <= 1 && uniform; dc++) {
          const rr = Math.min(grid.rows - 1, Math.max(0, r + dr));
          const cc = Math.min(grid.cols - 1, Math.max(0, c + dc));
          uniform = grid.tokens[rr * grid.cols + cc] === token;
        }
      }
      if (uniform) cells.push(r * grid.cols + c);
    }
  }
  return cells;
}

/** Random tokens, constant over `block x block` squares. */
function randomGrid(seed: number, rows: number, cols: number, block = 1): TokenGrid {
  const next = random(seed);
  const blocks = Int32Array.from({ length: Math.ceil(rows / block) * Math.ceil(cols / block) }, () => Math.floor(next() * CODEBOOK_SIZE));
  const tokens = Int32Array.from({ length: rows * cols }, (_, i) => blocks[Math.floor(Math.floor(i / cols) / block) * Math.ceil(cols / block) + Math.floor((i % cols) / block)] ?? 0);
  return { rows, cols, codebookSize: CODEBOOK_SIZE, tokens };
}

function sceneGrid(prompt: string, seed: number, width: number, height: number): TokenGrid {
  return rasterize(compilePrompt(prompt, seed), { rows: 64, cols: 64, aspect: width / height });
}

function flatImage(width: number, height: number, paint: (x: number, y: number) => readonly number[], channels: 3 | 4 = 3): RawImage {
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(paint(x, y), (y * width + x) * channels);
  return { width, height, channels, data };
}

const toByte = (v: number) => Math.round(v * 255);

describe('lumen/token-encoder (encoder.onnx) with the real ONNX runtime', () => {
  const runtime = new OnnxRuntime();
  const decoder = progressiveDecoder();
  let encoder: TokenEncoder;

  beforeAll(async () => {
    encoder = await loadTokenEncoder(runtime);
    await decoder.setup?.({ logger, runtime });
  });

  afterAll(async () => {
    await decoder.dispose?.();
    await runtime.dispose();
  });

  async function decode(grid: TokenGrid, width: number, height: number): Promise<RawImage> {
    const job: GenerationSpec = { jobId: 'job_test', prompt: '', width, height, n: 1, quality: 'auto', outputFormat: 'png', outputCompression: 100, seed: 0 };
    const ctx: PassContext = { job, imageIndex: 0, seed: 0, signal: new AbortController().signal, logger, watermarkPayload: new Uint8Array(8), grid, pass: 1, passes: 1 };
    return decoder.decodePass(ctx, undefined);
  }

  /** Checks every token the graph chose is the reference's, or ties with it within `slack` of squared distance. */
  function expectNearest(got: TokenGrid, want: Int32Array, means: readonly Rgb[], slack: (a: number, b: number) => number): number {
    let differing = 0;
    for (let i = 0; i < want.length; i++) {
      const [a, b] = [got.tokens[i] ?? -1, want[i] ?? -1];
      const mean: Rgb = means[i] ?? [0, 0, 0];
      if (a === b) continue;
      differing++;
      expect(Math.abs(squaredDistance(a, mean) - squaredDistance(b, mean)), `cell ${i}: ${a} vs ${b}`).toBeLessThanOrEqual(slack(a, b));
    }
    return differing;
  }

  it('should encode every codebook colour, painted as a flat cell, to its own token', async () => {
    // 16x16 cells of 4x4 pixels, cell t painted in colour t.
    const image = flatImage(64, 64, (x, y) => tokenColour(Math.floor(y / 4) * 16 + Math.floor(x / 4)).map(toByte));
    const grid = await encoder.encode(image, 16, 16);
    expect(grid).toMatchObject({ rows: 16, cols: 16, codebookSize: CODEBOOK_SIZE });
    expect(Array.from(grid.tokens)).toEqual(Array.from({ length: CODEBOOK_SIZE }, (_, t) => t));
  });

  it('should encode a flat image to the token nearest its colour', async () => {
    const next = random(5);
    for (let k = 0; k < 24; k++) {
      const colour = [0, 1, 2].map(() => Math.floor(next() * 256));
      const grid = await encoder.encode(flatImage(48, 32, () => colour), 8, 8);
      const want = nearestToken(...(colour.map((v) => v / 255) as unknown as Rgb));
      const mean = colour.map((v) => v / 255) as unknown as Rgb;
      expectNearest(grid, new Int32Array(64).fill(want), new Array<Rgb>(64).fill(mean), () => FLOAT_TIE);
    }
  });

  it('should match the TypeScript reference on random images, up to float ties', async () => {
    const cases = [
      { width: 256, height: 256, rows: 64, cols: 64, channels: 3 }, // the integer ratios we use
      { width: 64, height: 96, rows: 32, cols: 16, channels: 3 },
      { width: 130, height: 200, rows: 64, cols: 64, channels: 3 }, // non-integer: area weights
      { width: 40, height: 20, rows: 64, cols: 64, channels: 3 }, // upsampling: each pixel spread over cells
      { width: 96, height: 64, rows: 32, cols: 32, channels: 4 }, // alpha over white
    ] as const;
    let differing = 0;
    let total = 0;
    for (const [index, { width, height, rows, cols, channels }] of cases.entries()) {
      const next = random(100 + index);
      // Blocky noise, so cell means spread over the whole gamut instead of bunching at grey.
      const blocks = Array.from({ length: 64 }, () => [next(), next(), next()]);
      const image = flatImage(
        width,
        height,
        (x, y) => {
          const base = blocks[(Math.floor((y / height) * 8) * 8 + Math.floor((x / width) * 8)) % 64] ?? [0, 0, 0];
          const pixel = base.map((v) => toByte(Math.min(1, Math.max(0, v + (next() - 0.5) * 0.3))));
          return channels === 4 ? [...pixel, Math.floor(next() * 256)] : pixel;
        },
        channels,
      );
      const grid = await encoder.encode(image, rows, cols);
      const reference = referenceEncode(image, rows, cols);
      differing += expectNearest(grid, reference.tokens, reference.means, () => FLOAT_TIE);
      total += rows * cols;
    }
    // Ties are rare; many more would mean the graph computes something else.
    expect(differing / total).toBeLessThan(0.005);
  });

  // The strongest exact statement: decoding spreads each token into its
  // neighbours' cells (bilinear), so encode(decode(G)) is not G at borders
  // between tokens. It is exactly nearest(blur(G)), blur being the
  // (1/8, 3/4, 1/8) kernel of blurredMeans, up to cells where 8-bit rounding
  // of the decoded pixels (at most 0.5/255 per channel) can tip a near-tie;
  // and a cell whose clamped 3x3 neighbourhood is one token always comes back.
  const sizes = [
    [256, 256],
    [512, 512],
    [1024, 1024],
    [1536, 1536],
    [1024, 1536],
  ] as const;
  const roundingSlack = (a: number, b: number) => 2 * ((Math.sqrt(3) * 0.5) / 255) * separation(a, b);

  for (const [width, height] of sizes) {
    it(`should give back nearest(blur(G)) for grids decoded at ${width}x${height}, and G itself wherever G is locally flat`, async () => {
      const grids = [
        randomGrid(width + height, 64, 64),
        randomGrid(width + height + 1, 64, 64, 4),
        sceneGrid('a red circle on a white background', 7, width, height),
        sceneGrid('three pastel stars above a house', 3, width, height),
        sceneGrid('a green circle and a yellow star at the top left on a white background', 7, width, height),
      ];
      expect(uniformCells(grids[0]!)).toHaveLength(0); // pure noise: the blur bites everywhere
      expect(uniformCells(grids[1]!).length).toBeGreaterThan(500); // 4x4 blocks: their inner 2x2 cells are flat
      for (const grid of grids) {
        const back = await encoder.encode(await decode(grid, width, height), grid.rows, grid.cols);
        const means = blurredMeans(grid);
        expectNearest(back, Int32Array.from(means, (m) => nearestToken(...m)), means, roundingSlack);
        for (const cell of uniformCells(grid)) expect(back.tokens[cell], `cell ${cell}`).toBe(grid.tokens[cell]);
      }
    });
  }

  it('should give back at least 95% of the tokens of a rasterized scene', async () => {
    for (const prompt of ['a red circle on a white background', 'three pastel stars above a house', 'a cat on green grass under a blue sky']) {
      const grid = sceneGrid(prompt, 7, 512, 512);
      const back = await encoder.encode(await decode(grid, 512, 512), 64, 64);
      const same = back.tokens.reduce((n, t, i) => n + (t === grid.tokens[i] ? 1 : 0), 0);
      expect(same / grid.tokens.length, prompt).toBeGreaterThan(0.95);
    }
  });

  it('should refuse images and grids of impossible sizes', async () => {
    const image = flatImage(8, 8, () => [0, 0, 0]);
    await expect(encoder.encode(image, 0, 8)).rejects.toThrow(RangeError);
    await expect(encoder.encode({ ...image, data: image.data.subarray(1) }, 8, 8)).rejects.toThrow(/needs 192 bytes/);
  });

  it('should reject a call whose signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await expect(encoder.encode(flatImage(8, 8, () => [0, 0, 0]), 2, 2, controller.signal)).rejects.toThrow('cancelled');
  });

  it('should take image and grid_hw and give tokens, as docs/MODEL.md says', async () => {
    const model = await runtime.load('lumen/token-encoder', MODEL_PATH);
    expect(model.inputNames).toEqual(['image', 'grid_hw']);
    expect(model.outputNames).toEqual(['tokens']);
    // A batch of two differently coloured images: the batch rides on dim 0.
    const plane = 4 * 4;
    const data = new Float32Array(2 * 3 * plane);
    data.fill(1, 0, plane); // image 0: red
    data.fill(1, 3 * plane + 2 * plane, 6 * plane); // image 1: blue
    const outputs = await model.run({ image: { type: 'float32', data, dims: [2, 3, 4, 4] }, grid_hw: { type: 'int64', data: BigInt64Array.of(2n, 2n), dims: [2] } });
    expect(outputs.tokens?.dims).toEqual([2, 2, 2]);
    expect(Array.from(outputs.tokens?.data ?? [], Number)).toEqual([...new Array<number>(4).fill(nearestToken(1, 0, 0)), ...new Array<number>(4).fill(nearestToken(0, 0, 1))]);
  });

  it('should embed the codebook verbatim', async () => {
    const bytes = await readFile(MODEL_PATH);
    const raw = Buffer.from(CODEBOOK_RGB.buffer, CODEBOOK_RGB.byteOffset, CODEBOOK_RGB.byteLength);
    expect(bytes.includes(raw)).toBe(true);
  });

  it('should rebuild a byte-identical encoder.onnx', async () => {
    const [rebuilt, committed] = await Promise.all([rebuildModel(BUILD_SCRIPT), readFile(MODEL_PATH)]);
    expect(rebuilt.length).toBeGreaterThan(0);
    expect(rebuilt.equals(committed)).toBe(true);
  });

});
