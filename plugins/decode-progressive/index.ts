import { fileURLToPath } from 'node:url';
import { CODEBOOK_SIZE, DECODER_MODEL_URL, nearestToken, tokenColour } from '../pack-default/index.js';
import { defineStage, type Model, type RawImage, type Tensor, type TokenGrid } from '../sdk/index.js';

export interface ProgressiveDecoderOptions {
  /** Absolute path of the decoder `.onnx`; defaults to the pack's `DECODER_MODEL_URL`. */
  modelPath?: string;
}

const DEFAULT_MODEL_PATH = fileURLToPath(DECODER_MODEL_URL);

/** The grid side length pass `pass` of `passes` reads: halved for every pass still to come, never below 1. */
export function passResolution(size: number, pass: number, passes: number): number {
  return Math.max(1, Math.ceil(size / 2 ** (passes - pass)));
}

/**
 * Shrinks a grid to `rows x cols` by giving each block the token nearest to
 * the block's mean colour, so coarse passes show blended colours rather than
 * whichever token happens to win a vote.
 */
export function poolGrid(grid: TokenGrid, rows: number, cols: number): TokenGrid {
  if (rows === grid.rows && cols === grid.cols) return grid;
  const tokens = new Int32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const [r0, r1] = blockBounds(grid.rows, rows, r);
    for (let c = 0; c < cols; c++) {
      const [c0, c1] = blockBounds(grid.cols, cols, c);
      let red = 0;
      let green = 0;
      let blue = 0;
      for (let y = r0; y < r1; y++) {
        for (let x = c0; x < c1; x++) {
          const [tr, tg, tb] = tokenColour(grid.tokens[y * grid.cols + x] ?? 0);
          red += tr;
          green += tg;
          blue += tb;
        }
      }
      const n = (r1 - r0) * (c1 - c0);
      tokens[r * cols + c] = nearestToken(red / n, green / n, blue / n);
    }
  }
  return { rows, cols, codebookSize: grid.codebookSize, tokens };
}

/** The block bounds poolGrid uses along one axis: output index i of `out` covers input [start, end) of `size`. */
function blockBounds(size: number, out: number, i: number): [start: number, end: number] {
  const start = Math.floor((i * size) / out);
  return [start, Math.max(start + 1, Math.floor(((i + 1) * size) / out))];
}

/** Shrinks a grid's alpha to `rows x cols` by the mean of each block, the blocks poolGrid uses. */
export function poolAlpha(alpha: Uint8Array, gridRows: number, gridCols: number, rows: number, cols: number): Uint8Array {
  if (rows === gridRows && cols === gridCols) return alpha;
  const pooled = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const [r0, r1] = blockBounds(gridRows, rows, r);
    for (let c = 0; c < cols; c++) {
      const [c0, c1] = blockBounds(gridCols, cols, c);
      let sum = 0;
      for (let y = r0; y < r1; y++) for (let x = c0; x < c1; x++) sum += alpha[y * gridCols + x]!;
      pooled[r * cols + c] = Math.round(sum / ((r1 - r0) * (c1 - c0)));
    }
  }
  return pooled;
}

/** Source positions of a half-pixel bilinear resize along one axis, as ONNX Resize (linear, half_pixel) computes them. */
function linearTaps(from: number, to: number): { low: Int32Array; high: Int32Array; weight: Float32Array } {
  const low = new Int32Array(to);
  const high = new Int32Array(to);
  const weight = new Float32Array(to);
  for (let i = 0; i < to; i++) {
    const position = Math.min(from - 1, Math.max(0, ((i + 0.5) * from) / to - 0.5));
    low[i] = Math.floor(position);
    high[i] = Math.min(from - 1, low[i]! + 1);
    weight[i] = position - low[i]!;
  }
  return { low, high, weight };
}

/** Upsamples a cell alpha plane to `width x height` the way the decoder graph upsamples colour, so alpha and colour edges line up. */
export function upsampleAlpha(alpha: Uint8Array, rows: number, cols: number, width: number, height: number): Uint8Array {
  const across = linearTaps(cols, width);
  const down = linearTaps(rows, height);
  const out = new Uint8ClampedArray(width * height);
  for (let y = 0; y < height; y++) {
    const top = down.low[y]! * cols;
    const bottom = down.high[y]! * cols;
    const wy = down.weight[y]!;
    for (let x = 0; x < width; x++) {
      const l = across.low[x]!;
      const h = across.high[x]!;
      const wx = across.weight[x]!;
      const upper = alpha[top + l]! + (alpha[top + h]! - alpha[top + l]!) * wx;
      const lower = alpha[bottom + l]! + (alpha[bottom + h]! - alpha[bottom + l]!) * wx;
      out[y * width + x] = upper + (lower - upper) * wy;
    }
  }
  return new Uint8Array(out.buffer);
}

function toRawImage(image: Tensor, width: number, height: number, alpha?: Uint8Array): RawImage {
  if (image.type !== 'float32') throw new Error(`lumen/progressive-decoder: expected a float32 image, got ${image.type}`);
  const plane = width * height;
  if (image.data.length !== 3 * plane) throw new Error(`lumen/progressive-decoder: image has ${image.data.length} values, expected ${3 * plane}`);
  // Hot loop (a 1024² pass is 3M values). A Uint8ClampedArray store clamps,
  // maps NaN to 0 and rounds half to even; for float32 inputs the only exact
  // tie in [0, 1] is 0.5 → 127.5 → 128, where half-to-even and Math.round
  // agree, so the bytes equal `Math.round(clamp(v) * 255)` at half the cost.
  const channels = alpha ? 4 : 3;
  const clamped = new Uint8ClampedArray(channels * plane);
  const red = image.data.subarray(0, plane);
  const green = image.data.subarray(plane, 2 * plane);
  const blue = image.data.subarray(2 * plane, 3 * plane);
  for (let i = 0, o = 0; i < plane; i++, o += channels) {
    clamped[o] = red[i]! * 255;
    clamped[o + 1] = green[i]! * 255;
    clamped[o + 2] = blue[i]! * 255;
  }
  if (alpha) for (let i = 0; i < plane; i++) clamped[4 * i + 3] = alpha[i]!;
  const data = new Uint8Array(clamped.buffer);
  return { width, height, channels, data };
}

/**
 * Decodes token grids with the pack's ONNX decoder, coarse to fine: pass k of
 * n reads the grid pooled to `rows / 2^(n-k)` and upsamples it to the job's size.
 * For `background: "transparent"` it adds the grid's alpha as a fourth channel.
 */
export default defineStage('decode', ({ modelPath = DEFAULT_MODEL_PATH }: ProgressiveDecoderOptions = {}) => {
  let model: Model | undefined;
  return {
    name: 'lumen/progressive-decoder',
    async setup({ runtime }) {
      model = await runtime.load('lumen/progressive-decoder', modelPath, {
        tokens: { type: 'int64', data: new BigInt64Array(4), dims: [1, 2, 2] },
        out_hw: { type: 'int64', data: BigInt64Array.of(8n, 8n), dims: [2] },
      }, {
        // Concurrent jobs at the same pass and size share one ONNX run; out_hw must match to merge.
        batchInputs: ['tokens'],
      });
    },
    async decodePass(ctx) {
      if (!model) throw new Error('lumen/progressive-decoder: decodePass called before setup');
      const { grid, pass, passes, job } = ctx;
      if (grid.codebookSize !== CODEBOOK_SIZE) {
        throw new Error(`lumen/progressive-decoder: grid uses a ${grid.codebookSize}-token codebook, this decoder knows ${CODEBOOK_SIZE}`);
      }
      const pooled = poolGrid(grid, passResolution(grid.rows, pass, passes), passResolution(grid.cols, pass, passes));
      const outputs = await model.run(
        {
          tokens: { type: 'int64', data: BigInt64Array.from(pooled.tokens, (t) => BigInt(t)), dims: [1, pooled.rows, pooled.cols] },
          out_hw: { type: 'int64', data: BigInt64Array.of(BigInt(job.height), BigInt(job.width)), dims: [2] },
        },
        ctx.signal,
      );
      const image = outputs.image;
      if (!image) throw new Error('lumen/progressive-decoder: the model returned no "image" output');
      // A transparent job's grid says how opaque each cell is; alpha follows the same pooling and upsampling as colour.
      const alpha =
        job.background === 'transparent' && grid.alpha
          ? upsampleAlpha(poolAlpha(grid.alpha, grid.rows, grid.cols, pooled.rows, pooled.cols), pooled.rows, pooled.cols, job.width, job.height)
          : undefined;
      return toRawImage(image, job.width, job.height, alpha);
    },
  };
});
