// Variations (OpenAI's createVariation): the source's scene re-rendered with
// a fresh seed, every object nudged a little in place, size and shade, so the
// n outputs differ from each other and from the source but show the same scene.
import { CODEBOOK_SIZE, nearestToken, tokenColour, type Rgb } from '../pack-default/index.js';
import { seededRandom, type TokenGrid } from '../sdk/index.js';
import { layoutScene, type ObjectRequest, type Placement } from './compile-prompt.js';
import { dilateCells, type EditScene } from './edit.js';
import { rasterize } from './rasterize.js';

export interface VariationInput {
  /** The source's tokens. */
  readonly source: TokenGrid;
  /** What the source shows, exactly (an earlier output's note) or as read from its pixels; undefined if unknown. */
  readonly scene: EditScene | undefined;
  /** The image's seed: each seed gives another variation. */
  readonly seed: number;
  /** Output width / height. */
  readonly aspect: number;
}

export interface VariationPlan {
  readonly grid: TokenGrid;
  /** The variation's scene, to edit it further; undefined when the source's was unknown. */
  readonly scene: EditScene | undefined;
}

/** How far a variation moves things: centres by up to 4% of the image, sizes and shades by up to 10%. */
const SHIFT = 0.04;
const SCALE = 0.1;
const SHADE = 0.1;

const clamp01 = (value: number) => Math.min(1, Math.max(0, value));

function nudged(scene: EditScene, seed: number): EditScene {
  const random = seededRandom(seed ^ 0x5bd1e995);
  const spread = (range: number) => (random() * 2 - 1) * range;
  const objects: ObjectRequest[] = [];
  const placements: Placement[][] = [];
  scene.request.objects.forEach((object, index) => {
    const factor = 1 + spread(SHADE);
    const colour: Rgb | undefined = object.colour && [clamp01(object.colour[0] * factor), clamp01(object.colour[1] * factor), clamp01(object.colour[2] * factor)];
    const copies = (scene.placements[index] ?? []).map((pin) => ({
      x: clamp01(pin.x + spread(SHIFT)),
      y: clamp01(pin.y + spread(SHIFT)),
      size: pin.size * (1 + spread(SCALE)),
    }));
    objects.push({ ...object, ...(colour && { colour }) });
    placements.push(copies);
  });
  return { request: { ...scene.request, objects }, placements };
}

/** The grid moved by up to 2 cells each way (edges repeated) and every colour scaled by up to ±6%: the same picture, not the same pixels. */
function shifted(source: TokenGrid, seed: number): TokenGrid {
  const random = seededRandom(seed ^ 0x27d4eb2d);
  const { rows, cols } = source;
  let dx = 0;
  let dy = 0;
  while (dx === 0 && dy === 0) [dx, dy] = [Math.floor(random() * 5) - 2, Math.floor(random() * 5) - 2];
  const factor = 1 + (random() < 0.5 ? -1 : 1) * (0.03 + random() * 0.03);
  const recoloured = new Map<number, number>();
  const tokens = new Int32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const from = source.tokens[Math.min(rows - 1, Math.max(0, r - dy)) * cols + Math.min(cols - 1, Math.max(0, c - dx))] ?? 0;
      let to = recoloured.get(from);
      if (to === undefined) {
        const [red, green, blue] = tokenColour(from);
        to = nearestToken(clamp01(red * factor), clamp01(green * factor), clamp01(blue * factor));
        recoloured.set(from, to);
      }
      tokens[r * cols + c] = to;
    }
  }
  return { rows, cols, codebookSize: CODEBOOK_SIZE, tokens };
}

/**
 * Plans one variation. With a known scene, its objects are nudged (place,
 * size, shade, all from `seed`) and redrawn; the cells the nudge does not
 * touch keep the source's tokens, so the background and anything the scene
 * does not model survive. With no scene (a photo), the whole picture is
 * shifted by a cell or two and its colours scaled slightly.
 */
export function planVariation({ source, scene, seed, aspect }: VariationInput): VariationPlan {
  if (!scene || scene.request.objects.length === 0) return { grid: shifted(source, seed), scene };
  const { rows, cols } = source;
  const options = { rows, cols, aspect };
  const varied = nudged(scene, seed);
  const before = rasterize(layoutScene(scene.request, 0, scene.placements), options);
  const after = rasterize(layoutScene(varied.request, 0, varied.placements), options);
  const changed = dilateCells(Uint8Array.from(before.tokens, (token, i) => (token === after.tokens[i] ? 0 : 1)), rows, cols);
  const tokens = Int32Array.from(source.tokens, (token, i) => (changed[i] ? (after.tokens[i] ?? token) : token));
  return { grid: { rows, cols, codebookSize: CODEBOOK_SIZE, tokens }, scene: varied };
}
