import { fileURLToPath } from 'node:url';
import type { ModelRuntime, RawImage, TokenGrid } from '../sdk/index.js';
import { CODEBOOK_SIZE } from './codebook.js';
import { ENCODER_MODEL_URL } from './models.js';

/**
 * Turns an image into a token grid over the default codebook, the way back
 * from pixels that edits of uploaded images start from. A model of the pack
 * rather than a stage: its grid is an edit's source, which the scene
 * tokenizer (it loads this in `setup`) merges with the new scene, not the
 * grid the job decodes.
 */
export interface TokenEncoder {
  /**
   * Averages `image` over each of `rows x cols` cells (area-weighted, so any
   * image size works) and gives each cell the nearest codebook token. An
   * alpha channel is composited over white first, since the colour of a
   * transparent pixel means nothing.
   */
  encode(image: RawImage, rows: number, cols: number, signal?: AbortSignal): Promise<TokenGrid>;
}

export interface TokenEncoderOptions {
  /** Absolute path of the encoder `.onnx`; defaults to the pack's {@link ENCODER_MODEL_URL}. */
  modelPath?: string;
  /** The name the model is loaded under, for logs and metrics. */
  name?: string;
}

const DEFAULT_MODEL_PATH = fileURLToPath(ENCODER_MODEL_URL);

/** Planar float32 RGB in 0..1, alpha composited over white. */
function toPlanes(image: RawImage): Float32Array {
  const { width, height, channels, data } = image;
  const plane = width * height;
  const planes = new Float32Array(3 * plane);
  for (let i = 0, o = 0; i < plane; i++, o += channels) {
    // Over white: c·a + 255·(1 - a), in 0..255 units.
    const alpha = channels === 4 ? data[o + 3]! / 255 : 1;
    const matte = 255 * (1 - alpha);
    planes[i] = (data[o]! * alpha + matte) / 255;
    planes[plane + i] = (data[o + 1]! * alpha + matte) / 255;
    planes[2 * plane + i] = (data[o + 2]! * alpha + matte) / 255;
  }
  return planes;
}

function checkInputs(image: RawImage, rows: number, cols: number): void {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`lumen/token-encoder: image size must be whole numbers of at least 1, got ${width}x${height}`);
  }
  if (channels !== 3 && channels !== 4) throw new RangeError(`lumen/token-encoder: image must have 3 or 4 channels, got ${String(channels)}`);
  if (data.length !== width * height * channels) {
    throw new RangeError(`lumen/token-encoder: a ${width}x${height}x${channels} image needs ${width * height * channels} bytes, got ${data.length}`);
  }
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
    throw new RangeError(`lumen/token-encoder: grid must be whole numbers of at least 1x1, got ${rows}x${cols}`);
  }
}

/**
 * Loads the pack's encoder through the host's runtime (once per process; call
 * it from `setup` or at startup, not per job).
 *
 * The model is not loaded with `batchInputs`: it would be allowed (every
 * output carries the batch on dim 0, and calls only merge when image size and
 * grid agree), but an image tensor is megabytes that a batch would copy once
 * more to concatenate, for a graph that costs a few milliseconds per image.
 *
 * @example
 * const encoder = await loadTokenEncoder(runtime);
 * const grid = await encoder.encode(image, 64, 64);
 */
export async function loadTokenEncoder(runtime: ModelRuntime, { modelPath = DEFAULT_MODEL_PATH, name = 'lumen/token-encoder' }: TokenEncoderOptions = {}): Promise<TokenEncoder> {
  const model = await runtime.load(name, modelPath, {
    image: { type: 'float32', data: new Float32Array(3 * 8 * 8), dims: [1, 3, 8, 8] },
    grid_hw: { type: 'int64', data: BigInt64Array.of(2n, 2n), dims: [2] },
  });
  return {
    async encode(image, rows, cols, signal) {
      checkInputs(image, rows, cols);
      const outputs = await model.run(
        {
          image: { type: 'float32', data: toPlanes(image), dims: [1, 3, image.height, image.width] },
          grid_hw: { type: 'int64', data: BigInt64Array.of(BigInt(rows), BigInt(cols)), dims: [2] },
        },
        signal,
      );
      const tokens = outputs.tokens;
      if (tokens?.type !== 'int64') throw new Error(`${name}: the model returned no int64 "tokens" output`);
      if (tokens.data.length !== rows * cols) throw new Error(`${name}: the model returned ${tokens.data.length} tokens for a ${rows}x${cols} grid`);
      return { rows, cols, codebookSize: CODEBOOK_SIZE, tokens: Int32Array.from(tokens.data, Number) };
    },
  };
}
