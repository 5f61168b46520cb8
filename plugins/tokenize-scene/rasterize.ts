import type { TokenGrid } from '../sdk/index.js';
import { CODEBOOK_SIZE, nearestToken, type Rgb } from '../pack-default/index.js';
import type { Background, Scene, SceneObject, ShapeKind, Trace } from './compile-prompt.js';

export interface RasterizeOptions {
  /** Grid rows; at least 32. */
  rows?: number;
  /** Grid columns; at least 32. */
  cols?: number;
  /** Output width / height, so shapes stay round after the decoder stretches the grid. */
  aspect?: number;
  /** Samples per cell side; the cell's colour is their mean, which antialiases edges. */
  supersample?: number;
  /**
   * Leave the background out: the grid gets `alpha` (each cell's share of
   * samples on an object), and a cell's colour is the mean of its object
   * samples only, so edges carry no background fringe. Cells with no object
   * keep the background's colour, which their alpha of 0 hides.
   */
  transparent?: boolean;
}

/** The smallest grid the default pack supports: below it, pass 1 of 4 would read fewer than 4x4 tokens. */
export const MIN_GRID = 32;

type Part = 'main' | 'accent';

function inCircle(u: number, v: number, cu: number, cv: number, r: number): boolean {
  return (u - cu) ** 2 + (v - cv) ** 2 <= r * r;
}

function inTriangle(u: number, v: number, a: readonly [number, number], b: readonly [number, number], c: readonly [number, number]): boolean {
  const side = (p: readonly [number, number], q: readonly [number, number]) => (q[0] - p[0]) * (v - p[1]) - (q[1] - p[1]) * (u - p[0]);
  const d1 = side(a, b);
  const d2 = side(b, c);
  const d3 = side(c, a);
  return !((d1 < 0 || d2 < 0 || d3 < 0) && (d1 > 0 || d2 > 0 || d3 > 0));
}

const STAR_INNER = 0.42;
const STAR_SECTOR = (2 * Math.PI) / 5;

function inStar(u: number, v: number): boolean {
  // Fold the angle into half a point's sector, then test against the edge from tip to notch.
  const r = Math.hypot(u, v);
  let a = ((Math.atan2(u, -v) % STAR_SECTOR) + STAR_SECTOR) % STAR_SECTOR;
  if (a > STAR_SECTOR / 2) a = STAR_SECTOR - a;
  const px = r * Math.cos(a);
  const py = r * Math.sin(a);
  const nx = STAR_INNER * Math.cos(STAR_SECTOR / 2);
  const ny = STAR_INNER * Math.sin(STAR_SECTOR / 2);
  // Inside when on the same side of the tip-notch edge as the centre.
  return (nx - 1) * py - ny * (px - 1) >= 0;
}

const traceBits = new WeakMap<Trace, Uint8Array>();

/** Whether a traced outline covers local point (u, v), with its box at [-1, 1]². */
function inTrace(trace: Trace, u: number, v: number): boolean {
  let bits = traceBits.get(trace);
  if (!bits) {
    bits = Uint8Array.from(atob(trace.bits), (ch) => ch.charCodeAt(0));
    traceBits.set(trace, bits);
  }
  const col = Math.min(trace.cols - 1, Math.floor(((u + 1) / 2) * trace.cols));
  const row = Math.min(trace.rows - 1, Math.floor(((v + 1) / 2) * trace.rows));
  const bit = row * trace.cols + col;
  return ((bits[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0;
}

/** Which part of a shape covers local point (u, v), with the shape's box at [-1, 1]². */
function partAt(shape: ShapeKind, u: number, v: number): Part | undefined {
  switch (shape) {
    case 'circle':
      return inCircle(u, v, 0, 0, 1) ? 'main' : undefined;
    case 'square':
      return Math.max(Math.abs(u), Math.abs(v)) <= 0.85 ? 'main' : undefined;
    case 'triangle':
      return inTriangle(u, v, [0, -0.9], [0.95, 0.75], [-0.95, 0.75]) ? 'main' : undefined;
    case 'diamond':
      return Math.abs(u) / 0.75 + Math.abs(v) <= 1 ? 'main' : undefined;
    case 'star':
      return inStar(u, v) ? 'main' : undefined;
    case 'heart': {
      const x = u * 1.25;
      const y = -v * 1.25 + 0.25;
      return (x * x + y * y - 1) ** 3 - x * x * y ** 3 <= 0 ? 'main' : undefined;
    }
    case 'sun': {
      const r = Math.hypot(u, v);
      if (r <= 0.55) return 'main';
      return r >= 0.65 && r <= 0.95 && Math.cos(8 * Math.atan2(v, u)) > 0.6 ? 'main' : undefined;
    }
    case 'moon':
      return inCircle(u, v, 0, 0, 0.85) && !inCircle(u, v, 0.4, -0.25, 0.7) ? 'main' : undefined;
    case 'tree':
      if (inCircle(u, v, 0, -0.3, 0.62)) return 'main';
      return Math.abs(u) <= 0.14 && v >= 0.1 && v <= 0.95 ? 'accent' : undefined;
    case 'house':
      if (inTriangle(u, v, [0, -0.9], [0.9, -0.15], [-0.9, -0.15])) return 'accent';
      if (Math.abs(u) <= 0.15 && v >= 0.45 && v <= 0.9) return 'accent';
      return Math.abs(u) <= 0.7 && v >= -0.15 && v <= 0.9 ? 'main' : undefined;
    case 'cat':
      if (inCircle(u, v, -0.25, 0.1, 0.1) || inCircle(u, v, 0.25, 0.1, 0.1)) return 'accent';
      if (inCircle(u, v, 0, 0.2, 0.65)) return 'main';
      return inTriangle(u, v, [-0.6, -0.2], [-0.5, -0.9], [-0.1, -0.35]) || inTriangle(u, v, [0.6, -0.2], [0.5, -0.9], [0.1, -0.35]) ? 'main' : undefined;
    case 'flower': {
      if (inCircle(u, v, 0, 0, 0.28)) return 'accent';
      for (let k = 0; k < 6; k++) {
        const a = (k * Math.PI) / 3;
        if (inCircle(u, v, 0.55 * Math.cos(a), 0.55 * Math.sin(a), 0.33)) return 'main';
      }
      return undefined;
    }
    case 'cloud':
      return inCircle(u, v, -0.45, 0.15, 0.4) || inCircle(u, v, 0, -0.1, 0.5) || inCircle(u, v, 0.45, 0.15, 0.4) || (Math.abs(u) <= 0.45 && v >= 0.1 && v <= 0.55)
        ? 'main'
        : undefined;
  }
}

function backgroundAt(background: Background, y: number): Rgb {
  const { top, bottom, horizon } = background;
  if (horizon !== undefined) return y < horizon ? top : bottom;
  return [top[0] + (bottom[0] - top[0]) * y, top[1] + (bottom[1] - top[1]) * y, top[2] + (bottom[2] - top[2]) * y];
}

type Radii = readonly { rx: number; ry: number; object: SceneObject }[];

/** The part of the topmost object at (x, y), with the object; undefined where the background shows. */
function topmostAt(x: number, y: number, radii: Radii): { part: Part; object: SceneObject } | undefined {
  let top: { part: Part; object: SceneObject } | undefined;
  for (const { rx, ry, object } of radii) {
    const u = (x - object.x) / rx;
    const v = (y - object.y) / ry;
    if (Math.abs(u) > 1 || Math.abs(v) > 1) continue;
    const part = object.trace ? (inTrace(object.trace, u, v) ? 'main' : undefined) : partAt(object.shape, u, v);
    if (part) top = { part, object };
  }
  return top;
}

function radiiOf(scene: Scene, aspect: number): Radii {
  // Sizes are fractions of the shorter image side; convert to per-axis radii.
  return scene.objects.map((object) => {
    // A traced outline keeps its own box, scaled with the object's diameter.
    const { trace } = object;
    if (trace) return { object, rx: (trace.w / 2) * (object.size / trace.size), ry: (trace.h / 2) * (object.size / trace.size) };
    return { object, rx: (object.size / 2) * Math.min(1, 1 / aspect), ry: (object.size / 2) * Math.min(1, aspect) };
  });
}

function checkGrid(rows: number, cols: number): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < MIN_GRID || cols < MIN_GRID) {
    throw new RangeError(`grid must be whole numbers of at least ${MIN_GRID}x${MIN_GRID}, got ${rows}x${cols}`);
  }
}

/**
 * Which cells of the grid {@link rasterize} would make show any part of an
 * object (1) rather than only background (0), sampled the same way.
 */
export function objectCoverage(scene: Scene, { rows = 64, cols = 64, aspect = 1, supersample = 4 }: RasterizeOptions = {}): Uint8Array {
  checkGrid(rows, cols);
  const radii = radiiOf(scene, aspect);
  const covered = new Uint8Array(rows * cols);
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      cell: for (let sy = 0; sy < supersample; sy++) {
        for (let sx = 0; sx < supersample; sx++) {
          if (topmostAt((col + (sx + 0.5) / supersample) / cols, (row + (sy + 0.5) / supersample) / rows, radii)) {
            covered[row * cols + col] = 1;
            break cell;
          }
        }
      }
    }
  }
  return covered;
}

/**
 * Renders a scene into a token grid: each cell's colour is the mean of
 * `supersample²` samples, mapped to the nearest codebook token.
 */
export function rasterize(scene: Scene, { rows = 64, cols = 64, aspect = 1, supersample = 4, transparent = false }: RasterizeOptions = {}): TokenGrid {
  checkGrid(rows, cols);
  const radii = radiiOf(scene, aspect);
  const tokens = new Int32Array(rows * cols);
  const alpha = transparent ? new Uint8Array(rows * cols) : undefined;
  const samples = supersample * supersample;
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      // Sums over every sample, and over the samples on an object.
      let r = 0;
      let g = 0;
      let b = 0;
      let objectR = 0;
      let objectG = 0;
      let objectB = 0;
      let covered = 0;
      for (let sy = 0; sy < supersample; sy++) {
        for (let sx = 0; sx < supersample; sx++) {
          const y = (row + (sy + 0.5) / supersample) / rows;
          const top = topmostAt((col + (sx + 0.5) / supersample) / cols, y, radii);
          const c = top ? (top.part === 'main' ? top.object.colour : top.object.accent) : backgroundAt(scene.background, y);
          r += c[0];
          g += c[1];
          b += c[2];
          if (top) {
            objectR += c[0];
            objectG += c[1];
            objectB += c[2];
            covered++;
          }
        }
      }
      const cell = row * cols + col;
      tokens[cell] = alpha && covered > 0 ? nearestToken(objectR / covered, objectG / covered, objectB / covered) : nearestToken(r / samples, g / samples, b / samples);
      if (alpha) alpha[cell] = Math.round((255 * covered) / samples);
    }
  }
  if (!alpha) return { rows, cols, codebookSize: CODEBOOK_SIZE, tokens };
  return withAlpha({ rows, cols, codebookSize: CODEBOOK_SIZE, tokens }, alpha);
}

/**
 * The grid with `alpha` attached. Every fully clear cell next to an object
 * takes the token of its most opaque neighbour, since the decoder blends each
 * token into its neighbours: a partly clear edge pixel then mixes the object's
 * colour with itself, not with the hidden background.
 */
export function withAlpha(grid: TokenGrid, alpha: Uint8Array): TokenGrid {
  const { rows, cols } = grid;
  if (alpha.length !== rows * cols) throw new RangeError(`alpha has ${alpha.length} cells, the grid ${rows * cols}`);
  const tokens = Int32Array.from(grid.tokens);
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      if (alpha[row * cols + col] !== 0) continue;
      let best = -1;
      let bestAlpha = 0;
      for (let y = Math.max(0, row - 1); y <= Math.min(rows - 1, row + 1); y++) {
        for (let x = Math.max(0, col - 1); x <= Math.min(cols - 1, col + 1); x++) {
          if (alpha[y * cols + x]! > bestAlpha) {
            bestAlpha = alpha[y * cols + x]!;
            best = y * cols + x;
          }
        }
      }
      if (best >= 0) tokens[row * cols + col] = grid.tokens[best]!;
    }
  }
  return { ...grid, tokens, alpha };
}

/** How opaque each cell of the grid {@link rasterize} makes is with `transparent`: its share of samples on an object, 0–255. */
export function objectAlpha(scene: Scene, options: Omit<RasterizeOptions, 'transparent'> = {}): Uint8Array {
  return rasterize(scene, { ...options, transparent: true }).alpha!;
}
