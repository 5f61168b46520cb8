import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { RawImage } from '../../plugins/sdk/index.js';
import { detectWatermark, embedWatermark, payloadFor } from '../../plugins/watermark-invisible/index.js';

const KEY = 1234;

/** A picture with hard edges and saturated colours: the hard case for a brightness mark. */
function scene(width = 256, height = 256): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = (x - 128) ** 2 + (y - 120) ** 2 < 70 ** 2;
      const stripe = (x >> 4) % 2 === 0;
      const offset = (y * width + x) * 3;
      data.set(inside ? [255, 255, 0] : stripe ? [0, 128, 0] : [20, 40, 220], offset);
    }
  }
  return { width, height, channels: 3, data };
}

function psnr(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return 10 * Math.log10((255 * 255) / (sum / a.length));
}

describe('lumen/invisible-watermark', () => {
  it('should read back the payload it embedded, through a PNG round trip', async () => {
    const payload = payloadFor('job_0_abc#0');
    const marked = embedWatermark(scene(), payload, KEY);
    const png = await sharp(marked.data, { raw: { width: 256, height: 256, channels: 3 } }).png().toBuffer();
    const decoded = await sharp(png).raw().toBuffer();
    const reading = detectWatermark({ ...marked, data: decoded }, KEY);
    expect(reading.marked).toBe(true);
    expect(Buffer.from(reading.payload).toString('hex')).toBe(Buffer.from(payload).toString('hex'));
  });

  it('should not find a mark in an unmarked image or with the wrong key', () => {
    expect(detectWatermark(scene(), KEY).marked).toBe(false);
    const marked = embedWatermark(scene(), payloadFor('job'), KEY);
    expect(detectWatermark(marked, KEY + 1).marked).toBe(false);
  });

  it('should stay invisible: PSNR of at least 40 dB', () => {
    const original = scene();
    const marked = embedWatermark(original, payloadFor('job'), KEY);
    expect(psnr(original.data, marked.data)).toBeGreaterThanOrEqual(40);
  });
});
