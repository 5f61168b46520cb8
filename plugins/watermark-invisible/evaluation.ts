// Evaluation helpers for the invisible watermark: synthetic test scenes and
// the attacks the mark must survive, shared by test/plugins/watermark.test.ts
// and bench/watermark.ts. The stage itself never imports this module (it
// pulls in sharp for the attacks).
import sharp, { type Sharp } from 'sharp';
import { seededRandom, type RawImage } from '../sdk/index.js';

type Colour = [number, number, number];

/**
 * How a scene looks: `flat` is what the product renders (flat-coloured shapes
 * with gradients), `textured` adds grain and a fine pattern, `noisy` is a
 * photo-like field of multi-scale noise with strong grain.
 */
export type SceneKind = 'flat' | 'textured' | 'noisy';

interface Shape {
  inside(x: number, y: number): boolean;
  colour(x: number, y: number): Colour;
}

function colourFrom(next: () => number): Colour {
  return [Math.floor(next() * 256), Math.floor(next() * 256), Math.floor(next() * 256)];
}

/** A linear gradient between two colours along a random direction, or a flat fill. */
function paint(next: () => number, width: number, height: number, gradient: boolean): (x: number, y: number) => Colour {
  const from = colourFrom(next);
  if (!gradient) return () => from;
  const to = colourFrom(next);
  const angle = next() * 2 * Math.PI;
  const [dx, dy] = [Math.cos(angle), Math.sin(angle)];
  const span = Math.abs(dx) * width + Math.abs(dy) * height;
  const origin = (dx < 0 ? width : 0) * dx + (dy < 0 ? height : 0) * dy;
  return (x, y) => {
    const t = Math.min(1, Math.max(0, (x * dx + y * dy - origin) / span));
    return [from[0] + (to[0] - from[0]) * t, from[1] + (to[1] - from[1]) * t, from[2] + (to[2] - from[2]) * t];
  };
}

function randomShape(next: () => number, width: number, height: number): Shape {
  const size = Math.min(width, height);
  const cx = next() * width;
  const cy = next() * height;
  const r = (0.05 + next() * 0.3) * size;
  const colour = paint(next, width, height, next() < 0.5);
  const kind = Math.floor(next() * 3);
  if (kind === 0) return { inside: (x, y) => (x - cx) ** 2 + (y - cy) ** 2 < r * r, colour };
  if (kind === 1) {
    const w = r * (0.5 + next());
    const h = r * (0.5 + next());
    return { inside: (x, y) => Math.abs(x - cx) < w && Math.abs(y - cy) < h, colour };
  }
  // A triangle: inside when on the same side of all three edges.
  const corners = Array.from({ length: 3 }, () => [cx + (next() - 0.5) * 2 * r, cy + (next() - 0.5) * 2 * r] as const);
  const side = (x: number, y: number, [ax, ay]: readonly [number, number], [bx, by]: readonly [number, number]) => (bx - ax) * (y - ay) - (by - ay) * (x - ax);
  return {
    inside: (x, y) => {
      const s0 = side(x, y, corners[0]!, corners[1]!);
      const s1 = side(x, y, corners[1]!, corners[2]!);
      const s2 = side(x, y, corners[2]!, corners[0]!);
      return (s0 >= 0 && s1 >= 0 && s2 >= 0) || (s0 <= 0 && s1 <= 0 && s2 <= 0);
    },
    colour,
  };
}

/** Smooth value noise on a lattice of `cell` pixels, in [-1, 1]. */
function valueNoise(next: () => number, width: number, height: number, cell: number): Float32Array {
  const columns = Math.ceil(width / cell) + 2;
  const rows = Math.ceil(height / cell) + 2;
  const lattice = Float32Array.from({ length: columns * rows }, () => next() * 2 - 1);
  const out = new Float32Array(width * height);
  const smooth = (t: number) => t * t * (3 - 2 * t);
  for (let y = 0; y < height; y++) {
    const gy = y / cell;
    const iy = Math.floor(gy);
    const ty = smooth(gy - iy);
    for (let x = 0; x < width; x++) {
      const gx = x / cell;
      const ix = Math.floor(gx);
      const tx = smooth(gx - ix);
      const at = (i: number, j: number) => lattice[j * columns + i]!;
      const top = at(ix, iy) + (at(ix + 1, iy) - at(ix, iy)) * tx;
      const bottom = at(ix, iy + 1) + (at(ix + 1, iy + 1) - at(ix, iy + 1)) * tx;
      out[y * width + x] = top + (bottom - top) * ty;
    }
  }
  return out;
}

/**
 * A deterministic synthetic scene: a gradient background with a handful of
 * flat or gradient-filled shapes, plus texture or noise for the other kinds.
 */
export function renderScene(width: number, height: number, seed: number, kind: SceneKind = 'flat', channels: 3 | 4 = 3): RawImage {
  const next = seededRandom(seed * 7919 + 17);
  const background = paint(next, width, height, true);
  const shapes = Array.from({ length: 3 + Math.floor(next() * 6) }, () => randomShape(next, width, height));
  const grain = kind === 'flat' ? 0 : kind === 'textured' ? 2 + next() * 4 : 6 + next() * 8;
  const layers: { noise: Float32Array; amplitude: Colour }[] = [];
  if (kind === 'textured') {
    layers.push({ noise: valueNoise(next, width, height, 3 + next() * 6), amplitude: [12, 12, 12] });
  } else if (kind === 'noisy') {
    for (const cell of [64, 16, 4]) layers.push({ noise: valueNoise(next, width, height, cell * (0.5 + next())), amplitude: colourFrom(next).map((c) => 10 + c / 6) as Colour });
  }
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let colour = background(x, y);
      for (const shape of shapes) if (shape.inside(x, y)) colour = shape.colour(x, y);
      const offset = (y * width + x) * channels;
      const grainShift = grain ? (next() + next() + next() - 1.5) * 2 * grain : 0;
      for (let c = 0; c < 3; c++) {
        let value = colour[c]! + grainShift;
        for (const layer of layers) value += layer.noise[y * width + x]! * layer.amplitude[c]!;
        data[offset + c] = Math.max(0, Math.min(255, Math.round(value)));
      }
      if (channels === 4) data[offset + 3] = 255;
    }
  }
  return { width, height, channels, data };
}

async function toRaw(pipeline: Sharp): Promise<RawImage> {
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 && info.channels !== 4) throw new Error(`expected 3 or 4 channels, got ${info.channels}`);
  return { width: info.width, height: info.height, channels: info.channels, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

const load = (image: RawImage) => sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });

/** Re-encodes as JPEG (libjpeg defaults of sharp: 4:2:0 chroma) and decodes again. */
export async function jpeg(image: RawImage, quality = 75): Promise<RawImage> {
  return toRaw(sharp(await load(image).jpeg({ quality }).toBuffer()));
}

/** Resizes both sides by `factor` (sharp's default Lanczos-3 kernel). */
export async function resize(image: RawImage, factor: number): Promise<RawImage> {
  return toRaw(load(image).resize(Math.round(image.width * factor), Math.round(image.height * factor), { fit: 'fill' }));
}

/** Keeps the `width`×`height` rectangle whose top left corner is at (`left`, `top`). */
export async function crop(image: RawImage, left: number, top: number, width: number, height: number): Promise<RawImage> {
  return toRaw(load(image).extract({ left, top, width, height }));
}

/** A screenshot passed around: PNG, then WebP at sharp's default quality (80), then PNG again. */
export async function webpRoundTrip(image: RawImage): Promise<RawImage> {
  const png = await load(image).png().toBuffer();
  const webp = await sharp(png).webp().toBuffer();
  return toRaw(sharp(await sharp(webp).png().toBuffer()));
}

/** The acceptance attack: saved as JPEG q75, halved, and saved as JPEG q75 again. */
export async function jpegThenHalve(image: RawImage, quality = 75): Promise<RawImage> {
  const halved = await toRaw(sharp(await load(image).jpeg({ quality }).toBuffer()).resize(Math.round(image.width / 2), Math.round(image.height / 2), { fit: 'fill' }));
  return jpeg(halved, quality);
}

export interface Attack {
  readonly name: string;
  /** The scale the attacked image has relative to the marked one. */
  readonly scale: number;
  apply(image: RawImage): Promise<RawImage>;
}

/**
 * The attacks of the product's robustness requirement. The crops remove 10% of
 * each side's length: one anchored at the top-left corner (tile grid aligned)
 * and one off centre at an odd offset, so the tile grid is misaligned.
 */
export const ATTACKS: readonly Attack[] = [
  { name: 'none (PNG)', scale: 1, apply: async (image) => image },
  { name: 'JPEG q75', scale: 1, apply: (image) => jpeg(image, 75) },
  { name: 'resize 50%', scale: 0.5, apply: (image) => resize(image, 0.5) },
  {
    name: 'crop 10%, corner',
    scale: 1,
    apply: (image) => crop(image, 0, 0, Math.round(image.width * 0.9), Math.round(image.height * 0.9)),
  },
  {
    name: 'crop 10%, off-centre',
    scale: 1,
    apply: (image) => {
      const width = Math.round(image.width * 0.9);
      const height = Math.round(image.height * 0.9);
      // Odd offsets that are not multiples of the tile or chip size.
      return crop(image, Math.round((image.width - width) * 0.7) | 1, Math.round((image.height - height) * 0.3) | 1, width, height);
    },
  },
  { name: 'PNG→WebP→PNG', scale: 1, apply: webpRoundTrip },
  { name: 'JPEG q75 + resize 50%', scale: 0.5, apply: (image) => jpegThenHalve(image, 75) },
];

/** Peak signal-to-noise ratio in dB over all samples (Infinity when identical). */
export function psnr(a: RawImage, b: RawImage): number {
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += (a.data[i]! - b.data[i]!) ** 2;
  return 10 * Math.log10((255 * 255) / (sum / a.data.length));
}

/** How many of the 64 bits `read` gets right. */
export function bitsCorrect(expected: Uint8Array, read: Uint8Array): number {
  let correct = 0;
  for (let bit = 0; bit < expected.length * 8; bit++) {
    if ((((expected[bit >> 3]! ^ read[bit >> 3]!) >> (7 - (bit & 7))) & 1) === 0) correct++;
  }
  return correct;
}
