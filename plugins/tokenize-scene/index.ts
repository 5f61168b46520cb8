import { defineStage } from '../sdk/index.js';
import { compilePrompt } from './compile-prompt.js';
import { MIN_GRID, rasterize } from './rasterize.js';

export interface SceneTokenizerOptions {
  /** Rows and columns of the square token grid; at least 32, default 64. */
  gridSize?: number;
}

/** Turns the prompt into a scene and rasterizes it into a square token grid over the default codebook. */
export default defineStage('tokenize', ({ gridSize = 64 }: SceneTokenizerOptions = {}) => {
  if (!Number.isInteger(gridSize) || gridSize < MIN_GRID) {
    throw new RangeError(`lumen/scene-tokenizer: gridSize must be a whole number of at least ${MIN_GRID}, got ${gridSize}`);
  }
  return {
    name: 'lumen/scene-tokenizer',
    tokenize(ctx) {
      const scene = compilePrompt(ctx.job.prompt, ctx.seed);
      return rasterize(scene, { rows: gridSize, cols: gridSize, aspect: ctx.job.width / ctx.job.height });
    },
  };
});

export { compilePrompt } from './compile-prompt.js';
export type { Background, Scene, SceneObject, ShapeKind, Style } from './compile-prompt.js';
export { rasterize } from './rasterize.js';
export type { RasterizeOptions } from './rasterize.js';
