import { z } from 'zod';
import { loadTokenEncoder, type TokenEncoder } from '../pack-default/index.js';
import { defineStage, type EditSpec, type HookContext, type TokenGrid } from '../sdk/index.js';
import { compilePrompt, layoutScene } from './compile-prompt.js';
import { EditRejection, maskFromAlpha, planEdit, sceneOfPrompt, type EditScene } from './edit.js';
import { MIN_GRID, objectAlpha, rasterize, withAlpha } from './rasterize.js';
import { sceneOfImage } from './read-scene.js';
import { planVariation } from './variation.js';

export interface SceneTokenizerOptions {
  /** Rows and columns of the square token grid; at least 32, default 64. */
  gridSize?: number;
}

// A scene note comes back from storage: check its shape before trusting it.
const placement = z.object({ x: z.number(), y: z.number(), size: z.number() }).passthrough();
const sceneNote = z.object({ request: z.object({ objects: z.array(z.unknown()) }).passthrough(), placements: z.array(z.array(placement)) });

function readScene(note: string | undefined): EditScene | undefined {
  if (note === undefined) return undefined;
  try {
    const parsed = sceneNote.safeParse(JSON.parse(note));
    return parsed.success ? (parsed.data as unknown as EditScene) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Turns the prompt into a scene and rasterizes it into a square token grid
 * over the default codebook. For an edit it plans instead: the source's
 * tokens (stored, or encoded from the uploaded pixels by the pack's encoder)
 * outside the region the edit changes, the new scene's inside, and it notes
 * the resulting scene on the grid so a later edit knows what is where.
 */
export default defineStage('tokenize', ({ gridSize = 64 }: SceneTokenizerOptions = {}) => {
  if (!Number.isInteger(gridSize) || gridSize < MIN_GRID) {
    throw new RangeError(`lumen/scene-tokenizer: gridSize must be a whole number of at least ${MIN_GRID}, got ${gridSize}`);
  }
  let encoder: TokenEncoder | undefined;

  async function editGrid(ctx: HookContext, edit: EditSpec): Promise<TokenGrid> {
    const { width, height } = ctx.job;
    const aspect = width / height;
    let source = edit.sourceGrid;
    let sourceScene = readScene(edit.sourceScene);
    // An upload's scene is read from its pixels; with a mask the client has said where, so none is needed.
    const uploaded = !source;
    if (!source) {
      if (!edit.sourceImage) throw new EditRejection('The edit has no source image.', 'edit_needs_scene');
      if (!encoder) throw new Error('the token encoder is not loaded (setup was not called)');
      source = await encoder.encode(edit.sourceImage, gridSize, gridSize, ctx.signal);
      if (!edit.maskAlpha) sourceScene = sceneOfImage(edit.sourceImage, { rows: source.rows, cols: source.cols, aspect });
      ctx.logger.debug('upload read', { objects: sourceScene?.request.objects.map((object) => object.noun) ?? null });
    }
    if (edit.variation) {
      // A scene recompiled from the source's prompt when no note was kept, as an edit would.
      const scene = sourceScene ?? (edit.sourcePrompt === undefined ? undefined : sceneOfPrompt(edit.sourcePrompt, edit.sourceSeed ?? ctx.seed));
      const variation = planVariation({ source, scene, seed: ctx.seed, aspect });
      return variation.scene ? { ...variation.grid, scene: JSON.stringify(variation.scene) } : variation.grid;
    }
    const plan = planEdit({
      source,
      prompt: ctx.job.prompt,
      seed: ctx.seed,
      aspect,
      sourcePrompt: edit.sourcePrompt,
      sourceSeed: edit.sourceSeed,
      sourceScene,
      mask: edit.maskAlpha ? maskFromAlpha(edit.maskAlpha, width, height, source.rows, source.cols) : undefined,
      bestEffort: uploaded && !edit.maskAlpha,
    });
    ctx.logger.debug('edit planned', { reading: plan.reading, changedFraction: plan.changedFraction, revisedPrompt: plan.prompt, fallbacks: plan.fallbacks });
    const grid = { ...plan.grid, scene: JSON.stringify(plan.scene) };
    if (ctx.job.background !== 'transparent') return grid;
    // Only a scene Lumen made says what is background. An upload's read scene is a guess, so an upload keeps all its pixels and stays opaque.
    const sceneKnown = edit.sourceScene !== undefined || edit.sourcePrompt !== undefined;
    const alpha = sceneKnown
      ? objectAlpha(layoutScene(plan.scene.request, 0, plan.scene.placements), { rows: grid.rows, cols: grid.cols, aspect })
      : new Uint8Array(grid.rows * grid.cols).fill(255);
    return withAlpha(grid, alpha);
  }

  return {
    name: 'lumen/scene-tokenizer',
    async setup({ runtime }) {
      encoder = await loadTokenEncoder(runtime);
    },
    tokenize(ctx) {
      if (ctx.job.edit) return editGrid(ctx, ctx.job.edit);
      const scene = compilePrompt(ctx.job.prompt, ctx.seed);
      return rasterize(scene, { rows: gridSize, cols: gridSize, aspect: ctx.job.width / ctx.job.height, transparent: ctx.job.background === 'transparent' });
    },
  };
});

export { compilePrompt } from './compile-prompt.js';
export type { Background, Scene, SceneObject, ShapeKind, Style } from './compile-prompt.js';
export { objectAlpha, rasterize, withAlpha } from './rasterize.js';
export type { RasterizeOptions } from './rasterize.js';
export { describeRequest, layoutScene, layoutSeed, parsePrompt } from './compile-prompt.js';
export type { BackgroundRequest, ObjectRequest, Placement, SceneRequest } from './compile-prompt.js';
export { objectCoverage } from './rasterize.js';
export { sceneOfImage } from './read-scene.js';
export type { SceneReadingOptions } from './read-scene.js';
export { planVariation } from './variation.js';
export type { VariationInput, VariationPlan } from './variation.js';
export type { Trace } from './compile-prompt.js';
export { dilateCells, EditRejection, maskFromAlpha, parseInstruction, planEdit, sceneOfPrompt } from './edit.js';
export type { EditInput, EditOperation, EditPlan, EditScene } from './edit.js';
