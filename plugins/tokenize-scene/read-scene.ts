// Reading a scene from an uploaded image, so instructions ("make the circle
// green", "remove the star") can name what it shows. The image is segmented
// into regions of near-uniform colour: the largest one at the border is the
// background, the others are objects, each with its outline, colour, place
// and a guess at its shape. Pure and deterministic.
import type { RawImage } from '../sdk/index.js';
import type { BackgroundRequest, ObjectRequest, ShapeKind, Trace } from './compile-prompt.js';
import type { EditScene } from './edit.js';

export interface SceneReadingOptions {
  /** The token grid the scene is drawn into; the image is analysed at 4 samples per cell side, as the rasterizer samples. */
  rows: number;
  cols: number;
  /** Output width / height. */
  aspect: number;
}

/** Colour distance (RGB, 0..1, Euclidean) within which a pixel belongs to a region. */
const TOLERANCE = 0.12;
/** Regions smaller than this share of the image are edges or noise, not objects. */
const MIN_OBJECT_SHARE = 0.001;
/** More of the image than this in no region (noise, gradients, texture): not a scene of flat shapes. */
const MAX_UNEXPLAINED_SHARE = 0.12;
const MAX_OBJECTS = 16;
/** How far (in analysis samples) a blurred or antialiased edge may spread from the regions it separates. */
const EDGE_REACH = 3;
/** Largest side of a stored outline; bigger ones are sampled down (the note stays small). */
const MAX_TRACE_SIDE = 128;
/** Where the default pack's ground meets its sky. */
const HORIZON = 0.65;

interface Region {
  readonly id: number;
  area: number;
  sum: [number, number, number];
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  border: boolean;
}

/** The image as `width x height` float RGB samples, each the mean of the pixels whose centres fall in it, alpha over white. */
function downsample(image: RawImage, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height * 3);
  const counts = new Uint32Array(width * height);
  const { channels, data } = image;
  for (let y = 0; y < image.height; y++) {
    const row = Math.min(height - 1, Math.floor(((y + 0.5) * height) / image.height));
    for (let x = 0; x < image.width; x++) {
      const col = Math.min(width - 1, Math.floor(((x + 0.5) * width) / image.width));
      const i = (y * image.width + x) * channels;
      const alpha = channels === 4 ? data[i + 3]! / 255 : 1;
      const o = row * width + col;
      for (let c = 0; c < 3; c++) out[o * 3 + c]! += (data[i + c]! * alpha + 255 * (1 - alpha)) / 255;
      counts[o]!++;
    }
  }
  for (let o = 0; o < counts.length; o++) {
    const n = counts[o]!;
    if (n > 0) for (let c = 0; c < 3; c++) out[o * 3 + c]! /= n;
  }
  return out;
}

/** Labels each sample with a region: samples joined by 4-neighbourhood whose colour is within TOLERANCE of their seed's neighbourhood mean. */
function segment(samples: Float32Array, width: number, height: number): { labels: Int32Array; regions: Region[] } {
  const labels = new Int32Array(width * height).fill(-1);
  const regions: Region[] = [];
  const stack: number[] = [];
  for (let start = 0; start < labels.length; start++) {
    if (labels[start] !== -1) continue;
    // The seed colour is the mean of its 3x3 neighbourhood, so one noisy sample does not define a region.
    const sx = start % width;
    const sy = Math.floor(start / width);
    const seed = [0, 0, 0];
    let n = 0;
    for (let y = Math.max(0, sy - 1); y <= Math.min(height - 1, sy + 1); y++) {
      for (let x = Math.max(0, sx - 1); x <= Math.min(width - 1, sx + 1); x++) {
        for (let c = 0; c < 3; c++) seed[c]! += samples[(y * width + x) * 3 + c]!;
        n++;
      }
    }
    const [r0, g0, b0] = seed.map((v) => v / n) as [number, number, number];
    const region: Region = { id: regions.length, area: 0, sum: [0, 0, 0], x0: sx, x1: sx, y0: sy, y1: sy, border: false };
    regions.push(region);
    labels[start] = region.id;
    stack.push(start);
    while (stack.length > 0) {
      const p = stack.pop()!;
      const x = p % width;
      const y = (p - x) / width;
      region.area++;
      for (let c = 0; c < 3; c++) region.sum[c]! += samples[p * 3 + c]!;
      region.x0 = Math.min(region.x0, x);
      region.x1 = Math.max(region.x1, x);
      region.y0 = Math.min(region.y0, y);
      region.y1 = Math.max(region.y1, y);
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1) region.border = true;
      for (const q of [x > 0 ? p - 1 : -1, x < width - 1 ? p + 1 : -1, y > 0 ? p - width : -1, y < height - 1 ? p + width : -1]) {
        if (q < 0 || labels[q] !== -1) continue;
        const dr = samples[q * 3]! - r0;
        const dg = samples[q * 3 + 1]! - g0;
        const db = samples[q * 3 + 2]! - b0;
        if (dr * dr + dg * dg + db * db > TOLERANCE * TOLERANCE) continue;
        labels[q] = region.id;
        stack.push(q);
      }
    }
  }
  return { labels, regions };
}

const meanColour = (region: Region): [number, number, number] =>
  region.sum.map((v) => Math.round((v / region.area) * 255) / 255) as [number, number, number];

/** Twice the area of the convex hull of `points` (monotone chain). */
function hullArea2(points: [number, number][]): number {
  const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const cross = (o: [number, number], a: [number, number], b: [number, number]) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const half = (list: [number, number][]) => {
    const hull: [number, number][] = [];
    for (const p of list) {
      while (hull.length >= 2 && cross(hull[hull.length - 2]!, hull[hull.length - 1]!, p) <= 0) hull.pop();
      hull.push(p);
    }
    hull.pop();
    return hull;
  };
  const hull = [...half(sorted), ...half([...sorted].reverse())];
  let area = 0;
  for (let i = 0; i < hull.length; i++) {
    const [a, b] = [hull[i]!, hull[(i + 1) % hull.length]!];
    area += a[0] * b[1] - b[0] * a[1];
  }
  return Math.abs(area);
}

/**
 * A guess at what a region's outline is, from how it fills its bounding box
 * and its convex hull: squares and rectangles fill the box, circles π/4 of
 * it, triangles and diamonds half (a diamond is widest in the middle), stars
 * and crescents much less than their hull (a crescent's mass is off-centre).
 */
function guessShape(region: Region, labels: Int32Array, width: number, boxAspect: number): { noun: string; shape: ShapeKind } {
  const { x0, x1, y0, y1, id, area } = region;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const corners: [number, number][] = [];
  let widest = 0;
  let widestRow = y0;
  let cx = 0;
  let cy = 0;
  for (let y = y0; y <= y1; y++) {
    let first = -1;
    let last = -1;
    for (let x = x0; x <= x1; x++) {
      if (labels[y * width + x] !== id) continue;
      if (first < 0) first = x;
      last = x;
      cx += x;
      cy += y;
    }
    if (first < 0) continue;
    corners.push([first, y], [last + 1, y], [first, y + 1], [last + 1, y + 1]);
    if (last - first + 1 > widest) [widest, widestRow] = [last - first + 1, y];
  }
  const solidity = area / (hullArea2(corners) / 2);
  const fill = area / (bw * bh);
  if (solidity < 0.8) {
    const offset = Math.hypot((cx / area + 0.5 - (x0 + x1 + 1) / 2) / bw, (cy / area + 0.5 - (y0 + y1 + 1) / 2) / bh);
    return offset > 0.08 ? { noun: 'moon', shape: 'moon' } : { noun: 'star', shape: 'star' };
  }
  if (fill >= 0.88) return boxAspect > 0.87 && boxAspect < 1.15 ? { noun: 'square', shape: 'square' } : { noun: 'rectangle', shape: 'square' };
  if (fill >= 0.68) return { noun: 'circle', shape: 'circle' };
  const at = (widestRow - y0 + 0.5) / bh;
  return at > 0.3 && at < 0.7 ? { noun: 'diamond', shape: 'diamond' } : { noun: 'triangle', shape: 'triangle' };
}

/** The region's outline over its bounding box, at most MAX_TRACE_SIDE a side. */
function traceOf(region: Region, labels: Int32Array, width: number, height: number, size: number): Trace {
  const bw = region.x1 - region.x0 + 1;
  const bh = region.y1 - region.y0 + 1;
  const cols = Math.min(bw, MAX_TRACE_SIDE);
  const rows = Math.min(bh, MAX_TRACE_SIDE);
  const bytes = new Uint8Array(Math.ceil((rows * cols) / 8));
  for (let r = 0; r < rows; r++) {
    const y = region.y0 + Math.floor(((r + 0.5) * bh) / rows);
    for (let c = 0; c < cols; c++) {
      const x = region.x0 + Math.floor(((c + 0.5) * bw) / cols);
      if (labels[y * width + x] !== region.id) continue;
      const bit = r * cols + c;
      bytes[bit >> 3]! |= 0x80 >> (bit & 7);
    }
  }
  return { w: bw / width, h: bh / height, size, cols, rows, bits: btoa(String.fromCharCode(...bytes)) };
}

/** Samples further than EDGE_REACH from every region in `kept`: texture, noise or gradients the scene cannot hold. */
function unexplained(labels: Int32Array, kept: ReadonlySet<number>, width: number, height: number): number {
  // Chebyshev distance to the nearest kept sample, as two separable passes of a running maximum.
  const rows = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    let last = -Infinity;
    for (let x = 0; x < width; x++) {
      if (kept.has(labels[y * width + x]!)) last = x;
      if (x - last <= EDGE_REACH) rows[y * width + x] = 1;
    }
    last = Infinity;
    for (let x = width - 1; x >= 0; x--) {
      if (kept.has(labels[y * width + x]!)) last = x;
      if (last - x <= EDGE_REACH) rows[y * width + x] = 1;
    }
  }
  let count = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      let covered = false;
      for (let d = Math.max(0, y - EDGE_REACH); d <= Math.min(height - 1, y + EDGE_REACH) && !covered; d++) covered = rows[d * width + x] === 1;
      if (!covered) count++;
    }
  }
  return count;
}

/** The background: one flat colour, or the default pack's sky over ground split at its horizon. */
function backgroundOf(regions: Region[], total: number, height: number): { background: BackgroundRequest; parts: Set<number> } | undefined {
  const bordering = regions.filter((region) => region.border && region.area > total * 0.02).sort((a, b) => b.area - a.area);
  const [main, second] = bordering;
  if (!main || main.area < total * 0.2) return undefined;
  const horizonRow = Math.round(HORIZON * height);
  const near = (row: number) => Math.abs(row - horizonRow) <= Math.max(2, height * 0.02);
  if (second && second.area > total * 0.1) {
    const [top, bottom] = main.y0 < second.y0 ? [main, second] : [second, main];
    if (top.y0 === 0 && bottom.y1 === height - 1 && near(top.y1 + 1) && near(bottom.y0)) {
      return { background: { sky: meanColour(top), skyMentioned: true, ground: meanColour(bottom) }, parts: new Set([top.id, bottom.id]) };
    }
  }
  return { background: { flat: meanColour(main), skyMentioned: false }, parts: new Set([main.id]) };
}

/**
 * Reads the scene of an uploaded image: its background and its objects of
 * near-uniform colour, with their outlines (so an edit changes exactly the
 * pixels of the object it names), colours, centres, sizes and a guessed shape
 * noun (`circle`, `square`, `rectangle`, `triangle`, `diamond`, `star`,
 * `moon`). Undefined when the image is not made of flat regions (a photo,
 * gradients, texture: more than 12% of it in no region) or has more than 16
 * objects; such an upload has no scene to name things in.
 */
export function sceneOfImage(image: RawImage, { rows, cols, aspect }: SceneReadingOptions): EditScene | undefined {
  const width = cols * 4;
  const height = rows * 4;
  const total = width * height;
  const samples = downsample(image, width, height);
  const { labels, regions } = segment(samples, width, height);
  const found = backgroundOf(regions, total, height);
  if (!found) return undefined;
  // An object has a body: thin regions are the colour ramps of blurred or antialiased edges.
  const objects = regions.filter(
    (region) => !found.parts.has(region.id) && region.area >= total * MIN_OBJECT_SHARE && region.area >= 3 * (region.x1 - region.x0 + region.y1 - region.y0 + 2),
  );
  if (objects.length > MAX_OBJECTS) return undefined;
  const kept = new Set([...found.parts, ...objects.map((region) => region.id)]);
  if (unexplained(labels, kept, width, height) > total * MAX_UNEXPLAINED_SHARE) return undefined;

  // Sizes are fractions of the shorter image side.
  const sx = Math.max(1, aspect);
  const sy = Math.max(1, 1 / aspect);
  objects.sort((a, b) => a.y0 + a.y1 - (b.y0 + b.y1) || a.x0 + a.x1 - (b.x0 + b.x1));
  const requests: ObjectRequest[] = [];
  const placements: { x: number; y: number; size: number }[][] = [];
  for (const region of objects) {
    const w = (region.x1 - region.x0 + 1) / width;
    const h = (region.y1 - region.y0 + 1) / height;
    const size = Math.max(w * sx, h * sy);
    const x = (region.x0 + region.x1 + 1) / 2 / width;
    const y = (region.y0 + region.y1 + 1) / 2 / height;
    const { noun, shape } = guessShape(region, labels, width, (w * sx) / (h * sy));
    requests.push({ noun, shape, count: 1, size, colour: meanColour(region), position: { x, y }, trace: traceOf(region, labels, width, height, size) });
    placements.push([{ x, y, size }]);
  }
  return { request: { style: 'plain', background: found.background, objects: requests }, placements };
}
