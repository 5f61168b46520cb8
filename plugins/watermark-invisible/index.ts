import { createHash } from 'node:crypto';
import { defineStage, type RawImage } from '../sdk/index.js';

/** Pixels per side of the blocks that carry one chip each. */
const CELL = 8;
export const PAYLOAD_BITS = 64;
/** Largest half-difference (in 8-bit levels) one cell may contribute to its bit's vote. */
const RESIDUAL_CLIP = 6;

/** mulberry32: a tiny seeded PRNG; the chip sequence must be identical in embedder and detector. */
function chips(count: number, key: number): Int8Array {
  const out = new Int8Array(count);
  let state = key >>> 0;
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 1 ? 1 : -1;
  }
  return out;
}

/** 48 bits identifying the job plus a 16-bit checksum, so a random image almost never decodes as marked. */
export function payloadFor(jobId: string): Uint8Array {
  const id = createHash('sha256').update(jobId).digest().subarray(0, 6);
  const check = createHash('sha256').update(id).update('lumen-watermark').digest().subarray(0, 2);
  return new Uint8Array([...id, ...check]);
}

function payloadIsValid(payload: Uint8Array): boolean {
  const check = createHash('sha256').update(payload.subarray(0, 6)).update('lumen-watermark').digest();
  return payload[6] === check[0] && payload[7] === check[1];
}

const bitOf = (payload: Uint8Array, bit: number) => ((payload[bit >> 3]! >> (7 - (bit & 7))) & 1) === 1;

/**
 * Spread-spectrum watermark. Every 8×8 cell carries one chip: its left half is
 * brightened and its right half darkened by `strength` (or the reverse), the
 * sign set by one payload bit times a keyed pseudo-random chip. The detector
 * compares the halves of each cell, which cancels the picture wherever a cell
 * is flat, and every bit is spread over many cells so edges and noise are outvoted.
 */
export function embedWatermark(image: RawImage, payload: Uint8Array, key: number, strength = 2): RawImage {
  const cellsX = Math.floor(image.width / CELL);
  const cellsY = Math.floor(image.height / CELL);
  const chip = chips(cellsX * cellsY, key);
  // A clamped view saturates at 0 and 255 by itself, which keeps this loop free of per-sample min/max.
  const data = new Uint8ClampedArray(image.data);
  const { channels, width } = image;
  for (let cy = 0; cy < cellsY; cy++) {
    for (let cx = 0; cx < cellsX; cx++) {
      const cell = cy * cellsX + cx;
      const delta = strength * chip[cell]! * (bitOf(payload, cell % PAYLOAD_BITS) ? 1 : -1);
      for (let y = cy * CELL; y < (cy + 1) * CELL; y++) {
        const rowStart = (y * width + cx * CELL) * channels;
        const split = rowStart + (CELL / 2) * channels;
        const rowEnd = rowStart + CELL * channels;
        for (let offset = rowStart; offset < rowEnd; offset += channels) {
          const shift = offset < split ? delta : -delta;
          data[offset] = data[offset]! + shift;
          data[offset + 1] = data[offset + 1]! + shift;
          data[offset + 2] = data[offset + 2]! + shift;
        }
      }
    }
  }
  return { ...image, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export interface WatermarkReading {
  payload: Uint8Array;
  /** True when the checksum matches: the image carries a Lumen watermark. */
  marked: boolean;
}

/** Reads the payload back from an image aligned as it was when marked. */
export function detectWatermark(image: RawImage, key: number): WatermarkReading {
  const cellsX = Math.floor(image.width / CELL);
  const cellsY = Math.floor(image.height / CELL);
  const chip = chips(cellsX * cellsY, key);
  const scores = new Float64Array(PAYLOAD_BITS);
  for (let cy = 0; cy < cellsY; cy++) {
    for (let cx = 0; cx < cellsX; cx++) {
      let left = 0;
      let right = 0;
      for (let y = cy * CELL; y < (cy + 1) * CELL; y++) {
        let offset = (y * image.width + cx * CELL) * image.channels;
        for (let x = 0; x < CELL; x++, offset += image.channels) {
          const sum = image.data[offset]! + image.data[offset + 1]! + image.data[offset + 2]!;
          if (x < CELL / 2) left += sum;
          else right += sum;
        }
      }
      const difference = (left - right) / ((CELL * CELL * 3) / 2);
      // Clipping keeps a cell on an edge (a difference in the tens) from outvoting the flat cells of its bit.
      const clipped = Math.max(-RESIDUAL_CLIP, Math.min(RESIDUAL_CLIP, difference));
      const cell = cy * cellsX + cx;
      scores[cell % PAYLOAD_BITS]! += clipped * chip[cell]!;
    }
  }
  const payload = new Uint8Array(PAYLOAD_BITS / 8);
  for (let bit = 0; bit < PAYLOAD_BITS; bit++) if (scores[bit]! > 0) payload[bit >> 3]! |= 1 << (7 - (bit & 7));
  return { payload, marked: payloadIsValid(payload) };
}

export interface InvisibleWatermarkOptions {
  /** Secret key of the chip sequence; detection needs the same key. */
  key?: number;
  /** Brightness shift per cell in 8-bit levels; 2 keeps PSNR above 40 dB. */
  strength?: number;
}

/** Marks every output with a payload derived from its job id. */
export default defineStage('watermark', ({ key = 0x4c756d65, strength = 2 }: InvisibleWatermarkOptions = {}) => ({
  name: 'lumen/invisible-watermark',
  watermark(ctx, image) {
    return embedWatermark(image, payloadFor(`${ctx.job.jobId}#${ctx.imageIndex}`), key, strength);
  },
}));
