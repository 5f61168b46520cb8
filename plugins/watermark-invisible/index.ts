import { defineStage, seededRandom, WATERMARK_PAYLOAD_BYTES, type RawImage, type WatermarkCandidate } from '../sdk/index.js';
import { codedLength, decode, encode } from './convolutional-code.js';

// The mark is a periodic tile of TILE×TILE pixels cut into GRID×GRID square
// chips of CHIP pixels. Each chip moves luminance by ±strength levels: one
// coded payload bit times a keyed pseudo-random sign. The 64-bit payload is
// sent as a 140-bit convolutional code block; each coded bit owns 7 or 8
// chips at keyed places spread over the tile.
//
// Periodicity is what survives crops and resizes. Folding any part of the image
// modulo the tile period (TILE·scale) sums all its tiles into one, up to a
// cyclic shift that the detector searches. The sizes were picked by
// measurement (bench/watermark.ts). 4-pixel chips give many chips per bit and
// still survive halving plus JPEG q75. With 8- and 16-pixel chips, picture
// content and WebP's smoothing caused several times more bit errors. TILE and
// CHIP are multiples of 4, so the tile and the chips stay whole pixels at every
// scale in DETECT_SCALES.
const TILE = 128;
const CHIP = 4;
const GRID = TILE / CHIP;
const CHIPS = GRID * GRID;
const PAYLOAD_BITS = WATERMARK_PAYLOAD_BYTES * 8;
const CODED_BITS = codedLength(PAYLOAD_BITS);

/** The resize factors (relative to the marked original) `detectWatermark` tries by default, one candidate each. */
export const DETECT_SCALES: readonly number[] = [1, 0.5, 0.75, 2, 0.25];
/** The largest high-passed luminance (in 8-bit levels) one pixel may contribute, so edges and texture cannot outvote flat areas. */
const RESIDUAL_CLIP = 6;
/**
 * The offset search scores every offset on the chips of the first SEARCH_BITS
 * coded bits, then rescores the REFINED best on all of them. This is half the
 * work of a full search. On the weakest images we measured (noisy scenes,
 * JPEG plus halving) it found the same offsets; a quarter of the bits lost some.
 */
const SEARCH_BITS = CODED_BITS / 2;
const REFINED = 8;

/** The layout's draws as 32-bit integers. The embedder and the detector must build the same layout from the key. */
function random(key: number): () => number {
  const uniform = seededRandom(key);
  return () => Math.floor(uniform() * 4294967296);
}

function shuffle<T extends Uint8Array | Uint16Array>(values: T, next: () => number): T {
  for (let i = values.length - 1; i > 0; i--) {
    const j = next() % (i + 1);
    const swap = values[i]!;
    values[i] = values[j]!;
    values[j] = swap;
  }
  return values;
}

interface Layout {
  /** The coded bit each chip carries (chips row-major over the tile). */
  readonly bit: Uint8Array;
  /** The keyed ±1 sign of each chip. */
  readonly sign: Int8Array;
  /** The order in which chips round a fractional strength up, so every tile has the same mix of levels. */
  readonly roundUpOrder: Uint16Array;
  /** Chip indices sorted by coded bit: those of bit b are byBit[groupStart[b]] up to byBit[groupStart[b + 1] - 1]. */
  readonly byBit: Uint16Array;
  readonly groupStart: Uint16Array;
}

const layouts = new Map<number, Layout>();

/** The keyed layout. The shuffle spreads each bit's chips over the whole tile, so even a partial tile carries every bit. */
function layoutFor(key: number): Layout {
  const cached = layouts.get(key >>> 0);
  if (cached) return cached;
  const next = random(key);
  const bit = shuffle(Uint8Array.from({ length: CHIPS }, (_, chip) => chip % CODED_BITS), next);
  const sign = Int8Array.from({ length: CHIPS }, () => (next() & 1 ? 1 : -1));
  const roundUpOrder = shuffle(Uint16Array.from({ length: CHIPS }, (_, chip) => chip), next);
  const byBit = Uint16Array.from({ length: CHIPS }, (_, chip) => chip).sort((a, b) => bit[a]! - bit[b]! || a - b);
  const groupStart = new Uint16Array(CODED_BITS + 1);
  for (const chip of byBit) groupStart[bit[chip]! + 1]!++;
  for (let b = 0; b < CODED_BITS; b++) groupStart[b + 1]! += groupStart[b]!;
  const layout = { bit, sign, roundUpOrder, byBit, groupStart };
  layouts.set(key >>> 0, layout);
  return layout;
}

/** Payload bytes to bits, most significant bit first. */
const bitsOf = (payload: Uint8Array) => Uint8Array.from({ length: PAYLOAD_BITS }, (_, bit) => (payload[bit >> 3]! >> (7 - (bit & 7))) & 1);

/**
 * Returns a copy of `image` that carries `payload` (8 bytes) under `key`.
 * Every pixel's R, G and B move by the same ±strength levels. That is a pure
 * luminance change, and luminance is the channel JPEG and WebP keep at full
 * resolution. Alpha is left alone. A fractional strength mixes the two nearest
 * whole levels over the chips. The function is pure: the same image, payload,
 * key and strength always give the same bytes.
 */
export function embedWatermark(image: RawImage, payload: Uint8Array, key: number, strength = 2): RawImage {
  if (payload.length !== WATERMARK_PAYLOAD_BYTES) throw new RangeError(`lumen/invisible-watermark: the payload must be ${WATERMARK_PAYLOAD_BYTES} bytes, got ${payload.length}`);
  if (!(strength >= 0 && strength <= 32)) throw new RangeError(`lumen/invisible-watermark: strength must be between 0 and 32 levels, got ${strength}`);
  const { width, height, channels } = image;
  const { bit, sign, roundUpOrder } = layoutFor(key);
  const coded = encode(bitsOf(payload));
  // Each chip's shift as a whole number of levels, so every pixel costs one table read and a clamped add.
  const shift = new Int16Array(CHIPS);
  const roundUps = Math.round((strength - Math.floor(strength)) * CHIPS);
  for (let rank = 0; rank < CHIPS; rank++) {
    const chip = roundUpOrder[rank]!;
    const level = Math.floor(strength) + (rank < roundUps ? 1 : 0);
    shift[chip] = level * sign[chip]! * (coded[bit[chip]!] ? 1 : -1);
  }
  const chipColumn = Int32Array.from({ length: width }, (_, x) => ((x % TILE) / CHIP) | 0);
  // A clamped view saturates at 0 and 255 by itself, which keeps the loop free of per-sample min/max.
  const data = new Uint8ClampedArray(image.data);
  for (let y = 0; y < height; y++) {
    const chipRow = (((y % TILE) / CHIP) | 0) * GRID;
    let offset = y * width * channels;
    for (let x = 0; x < width; x++, offset += channels) {
      const delta = shift[chipRow + chipColumn[x]!]!;
      data[offset] = data[offset]! + delta;
      data[offset + 1] = data[offset + 1]! + delta;
      data[offset + 2] = data[offset + 2]! + delta;
    }
  }
  return { width, height, channels, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** The picture as the detector sees it at one resolution: high-passed luminance. */
interface Residual {
  readonly values: Float32Array;
  readonly width: number;
  readonly height: number;
  /** How many pixels of the given image were averaged into one, per side (1, or an integer scale above 1). */
  readonly shrink: number;
}

/**
 * BT.601 luminance (JPEG's Y), averaged over `shrink`×`shrink` blocks, minus
 * its 3×3 local mean, clipped to ±RESIDUAL_CLIP. Picture content is mostly
 * low-frequency, while the chip pattern sits mostly at chip edges, so this
 * small high-pass keeps the mark and drops gradients and flat fills. Both
 * alternatives we measured did worse. A chip-sized window let several times
 * more of the picture through. A second 3×3 pass, the matched filter for the
 * high-passed chips, gained about 10% on the noisiest scenes but lost most of
 * the mark that WebP's deblocking filter leaves.
 */
function residualOf(image: RawImage, shrink: number): Residual {
  const { channels, data } = image;
  const width = Math.floor(image.width / shrink);
  const height = Math.floor(image.height / shrink);
  const luma = new Float32Array(width * height);
  const weight = 1 / (shrink * shrink);
  for (let y = 0; y < height * shrink; y++) {
    const row = ((y / shrink) | 0) * width;
    let offset = y * image.width * channels;
    for (let x = 0; x < width * shrink; x++, offset += channels) {
      luma[row + ((x / shrink) | 0)]! += weight * (0.299 * data[offset]! + 0.587 * data[offset + 1]! + 0.114 * data[offset + 2]!);
    }
  }
  const mean = localMean(luma, width, height);
  const values = new Float32Array(width * height);
  for (let i = 0; i < values.length; i++) {
    const residual = luma[i]! - mean[i]!;
    values[i] = residual > RESIDUAL_CLIP ? RESIDUAL_CLIP : residual < -RESIDUAL_CLIP ? -RESIDUAL_CLIP : residual;
  }
  return { values, width, height, shrink };
}

/** The mean over the 3×3 window around each value, computed separably. At the borders the window shrinks to the values that exist. */
function localMean(values: Float32Array, width: number, height: number): Float32Array {
  const across = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const left = x > 0 ? values[row + x - 1]! : 0;
      const right = x + 1 < width ? values[row + x + 1]! : 0;
      across[row + x] = (left + values[row + x]! + right) / ((x > 0 ? 2 : 1) + (x + 1 < width ? 1 : 0));
    }
  }
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const rows = (y > 0 ? 2 : 1) + (y + 1 < height ? 1 : 0);
    for (let x = 0; x < width; x++) {
      const above = y > 0 ? across[row - width + x]! : 0;
      const below = y + 1 < height ? across[row + width + x]! : 0;
      out[row + x] = (above + across[row + x]! + below) / rows;
    }
  }
  return out;
}

/** Cyclic sums of `length` consecutive entries along one axis of a period×period tile: `step` 1 sums along rows, `step` period along columns. */
function boxSums(tile: Float64Array, period: number, length: number, step: number): Float64Array {
  const out = new Float64Array(tile.length);
  const across = step === 1 ? period : 1;
  for (let line = 0; line < period; line++) {
    const start = line * across;
    let sum = 0;
    for (let k = 0; k < length; k++) sum += tile[start + (k % period) * step]!;
    for (let k = 0; k < period; k++) {
      out[start + k * step] = sum;
      sum += tile[start + ((k + length) % period) * step]! - tile[start + k * step]!;
    }
  }
  return out;
}

/** One reading at one scale: the candidate, plus what the bench and the tests look at. */
export interface WatermarkReading extends WatermarkCandidate {
  readonly scale: number;
  /** The signed correlation of each coded bit at the best offset, as passed to the decoder; its sign is the hard decision. */
  readonly correlations: Float64Array;
  /** Where the tile's origin was found, in pixels of the image as given. */
  readonly offset: { readonly x: number; readonly y: number };
}

/** An enlarged image is first averaged back down to the marked scale: this reads as well as the enlarged image, for a fraction of the work. */
const shrinkFor = (scale: number) => (scale > 1 && Number.isInteger(scale) ? scale : 1);

/**
 * Reads the mark on the assumption that the image was resized by `scale` after
 * marking, and perhaps cropped anywhere. Returns undefined when the tile or the
 * chips would not be whole pixels at that scale, or when the image is smaller
 * than half a tile.
 */
function readResidual(residual: Residual, key: number, scale: number): WatermarkReading | undefined {
  const { values, width, height, shrink } = residual;
  const period = (TILE * scale) / shrink;
  const chip = (CHIP * scale) / shrink;
  if (!Number.isInteger(period) || !Number.isInteger(chip) || chip < 1 || width < period / 2 || height < period / 2) return undefined;

  // Fold modulo the tile period, so every tile adds up in one.
  const folded = new Float64Array(period * period);
  for (let y = 0; y < height; y++) {
    const row = (y % period) * period;
    for (let x = 0, column = 0; x < width; x++, column = column + 1 === period ? 0 : column + 1) folded[row + column]! += values[y * width + x]!;
  }
  // The sum over one chip, starting at every position of the folded tile (cyclic), computed separably.
  const box = boxSums(boxSums(folded, period, chip, 1), period, chip, period);

  // Search the cyclic offset: a sub-chip phase and a chip shift. The score
  // needs no knowledge of the payload. At the right offset the chips of each
  // coded bit agree, so the sum of |correlation| over the bits peaks; elsewhere
  // they cancel. The peak is about one pixel wide (the high-pass leaves the
  // mark mostly at chip edges), so every phase has to be tried.
  const { bit, sign, byBit, groupStart } = layoutFor(key);
  const span = 2 * GRID;
  const position = Int32Array.from(byBit, (c) => Math.floor(c / GRID) * span + (c % GRID));
  const signs = Float64Array.from(byBit, (c) => sign[c]!);
  // The chip grid at one phase, doubled in both directions so that a shifted read needs no modulo.
  const grid = new Float64Array(span * span);
  const top: { score: number; x: number; y: number }[] = [];
  let sum = 0;
  let sumSquares = 0;
  let count = 0;
  for (let sy = 0; sy < chip; sy++) {
    for (let sx = 0; sx < chip; sx++) {
      for (let j = 0; j < span; j++) {
        const row = (sy + (j % GRID) * chip) * period;
        for (let i = 0; i < span; i++) grid[j * span + i] = box[row + sx + (i % GRID) * chip]!;
      }
      for (let dy = 0; dy < GRID; dy++) {
        for (let dx = 0; dx < GRID; dx++) {
          const base = dy * span + dx;
          let score = 0;
          for (let b = 0, m = 0; b < SEARCH_BITS; b++) {
            let correlation = 0;
            for (const end = groupStart[b + 1]!; m < end; m++) correlation += signs[m]! * grid[base + position[m]!]!;
            score += correlation < 0 ? -correlation : correlation;
          }
          sum += score;
          sumSquares += score * score;
          count++;
          if (top.length < REFINED || score > top[top.length - 1]!.score) {
            top.push({ score, x: sx + dx * chip, y: sy + dy * chip });
            top.sort((p, q) => q.score - p.score);
            if (top.length > REFINED) top.pop();
          }
        }
      }
    }
  }
  const mean = sum / count;
  const spread = Math.sqrt(Math.max(1e-12, sumSquares / count - mean * mean));

  const correlationsAt = (ox: number, oy: number) => {
    const correlations = new Float64Array(CODED_BITS);
    for (let c = 0; c < CHIPS; c++) {
      const x = (ox + (c % GRID) * chip) % period;
      const y = (oy + Math.floor(c / GRID) * chip) % period;
      correlations[bit[c]!]! += sign[c]! * box[y * period + x]!;
    }
    return correlations;
  };
  let best = { score: -Infinity, searchScore: 0, x: 0, y: 0, correlations: new Float64Array(CODED_BITS) };
  for (const { score: searchScore, x, y } of top) {
    const correlations = correlationsAt(x, y);
    const score = correlations.reduce((total, correlation) => total + Math.abs(correlation), 0);
    if (score > best.score) best = { score, searchScore, x, y, correlations };
  }

  const { correlations } = best;
  const bits = decode(correlations, PAYLOAD_BITS);
  const payload = new Uint8Array(WATERMARK_PAYLOAD_BYTES);
  for (let b = 0; b < PAYLOAD_BITS; b++) if (bits[b]) payload[b >> 3]! |= 1 << (7 - (b & 7));
  return {
    payload,
    // How far the chosen offset's search score stands above the scores of all offsets, in standard deviations. This is comparable across scales.
    confidence: (best.searchScore - mean) / spread,
    scale,
    correlations,
    offset: { x: best.x * shrink, y: best.y * shrink },
  };
}

/**
 * Reads the mark from an image of unknown history. It returns one reading per
 * scale in `scales` (the image may have been resized by any of them and
 * cropped anywhere), most confident first. It does not judge whether a reading
 * is real: the caller checks each payload's own checksum. Keep `scales` short,
 * since every reading is one more chance for noise to pass that check.
 */
export function detectWatermark(image: RawImage, key: number, scales: readonly number[] = DETECT_SCALES): WatermarkReading[] {
  const residuals = new Map<number, Residual>();
  const readings: WatermarkReading[] = [];
  for (const scale of scales) {
    const shrink = shrinkFor(scale);
    let residual = residuals.get(shrink);
    if (!residual) residuals.set(shrink, (residual = residualOf(image, shrink)));
    const reading = readResidual(residual, key, scale);
    if (reading) readings.push(reading);
  }
  return readings.sort((a, b) => b.confidence - a.confidence);
}

export interface InvisibleWatermarkOptions {
  /** The secret key of the chip layout; detection needs the same key. */
  key?: number;
  /** The luminance shift in 8-bit levels (fractions allowed). The default of 2 gives a PSNR of about 42 dB. */
  strength?: number;
}

/** Marks every output with the payload the host assigned to it, and reads marks back for the provenance verifier. */
export default defineStage('watermark', ({ key = 0x4c756d65, strength = 2 }: InvisibleWatermarkOptions = {}) => ({
  name: 'lumen/invisible-watermark',
  watermark(ctx, image) {
    return embedWatermark(image, ctx.watermarkPayload, key, strength);
  },
  detect(image) {
    return detectWatermark(image, key).map(({ payload, confidence, scale }) => ({ payload, confidence, scale }));
  },
}));
