import { describe, expect, it } from 'vitest';
import { payloadForImage, payloadIsValid } from '../../origin-gpu/provenance/payload.js';
import type { HookContext, RawImage } from '../../plugins/sdk/index.js';
import { decode, encode } from '../../plugins/watermark-invisible/convolutional-code.js';
import { ATTACKS, bitsCorrect, psnr, renderScene } from '../../plugins/watermark-invisible/evaluation.js';
import invisibleWatermark, { detectWatermark, embedWatermark } from '../../plugins/watermark-invisible/index.js';

const KEY = 0x4c756d65;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

// A flat-colour scene like the product's renders at the smallest API size (the
// fewest tiles, so the hardest for flat content), and a textured one.
const flat = renderScene(256, 256, 11, 'flat');
const textured = renderScene(512, 512, 12, 'textured');
const flatPayload = payloadForImage('job_wm_flat', 0, 'tenant_a');
const texturedPayload = payloadForImage('job_wm_textured', 3, 'tenant_b');

function context(payload: Uint8Array): HookContext {
  const job = { jobId: 'job_wm', prompt: 'a red circle', width: 256, height: 256, n: 1, quality: 'auto', outputFormat: 'png', outputCompression: 100, seed: 1 } as const;
  return { job, imageIndex: 0, seed: 1, signal: new AbortController().signal, logger: console, watermarkPayload: payload };
}

describe('lumen/invisible-watermark', () => {
  it('should read back the exact payload it embedded, as the most confident candidate', () => {
    for (const [image, payload] of [
      [flat, flatPayload],
      [textured, texturedPayload],
    ] as const) {
      const [top] = detectWatermark(embedWatermark(image, payload, KEY), KEY);
      expect(hex(top!.payload)).toBe(hex(payload));
      expect(top!.scale).toBe(1);
      expect(top!.offset).toEqual({ x: 0, y: 0 });
    }
  });

  it('should embed exactly the payload the host assigns, and offer detect() through the stage', async () => {
    const stage = invisibleWatermark({ key: KEY });
    const marked = await stage.watermark(context(flatPayload), flat);
    expect(Buffer.from(marked.data).equals(Buffer.from(embedWatermark(flat, flatPayload, KEY).data))).toBe(true);
    const candidates = await stage.detect!(marked);
    expect(candidates.length).toBeGreaterThan(0);
    expect(candidates.length).toBeLessThanOrEqual(8);
    expect(hex(candidates[0]!.payload)).toBe(hex(flatPayload));
    expect(candidates.map((c) => c.confidence)).toEqual(candidates.map((c) => c.confidence).sort((a, b) => b - a));
    for (const candidate of candidates) expect(candidate.payload).toHaveLength(8);
  });

  it('should leave alpha alone and mark 4-channel images too', () => {
    const rgba = renderScene(256, 256, 13, 'flat', 4);
    const marked = embedWatermark(rgba, flatPayload, KEY);
    let alphaChanged = 0;
    for (let i = 3; i < rgba.data.length; i += 4) if (marked.data[i] !== rgba.data[i]) alphaChanged++;
    expect(alphaChanged).toBe(0);
    expect(hex(detectWatermark(marked, KEY)[0]!.payload)).toBe(hex(flatPayload));
  });

  describe.each(ATTACKS.filter((attack) => attack.name !== 'none (PNG)'))('after $name', (attack) => {
    it.each([
      ['flat 256²', flat, flatPayload],
      ['textured 512²', textured, texturedPayload],
    ] as const)('should recover the exact payload from a %s image as the top candidate', async (_name, image, payload) => {
      const attacked = await attack.apply(embedWatermark(image, payload, KEY));
      const [top] = detectWatermark(attacked, KEY);
      expect(bitsCorrect(payload, top!.payload)).toBe(64);
      expect(payloadIsValid(top!.payload)).toBe(true);
      expect(top!.scale).toBe(attack.scale);
    });
  });

  it('should find no valid payload in unmarked images, or with the wrong key', () => {
    const images: RawImage[] = [flat, textured, renderScene(384, 384, 14, 'noisy'), renderScene(1024, 1024, 15, 'flat')];
    for (const image of images) {
      const candidates = detectWatermark(image, KEY);
      expect(candidates.filter((c) => payloadIsValid(c.payload))).toEqual([]);
    }
    const wrongKey = detectWatermark(embedWatermark(flat, flatPayload, KEY), KEY + 1);
    expect(wrongKey.filter((c) => payloadIsValid(c.payload))).toEqual([]);
  });

  it('should stand out from unmarked images in confidence', () => {
    const unmarked = detectWatermark(textured, KEY)[0]!.confidence;
    const marked = detectWatermark(embedWatermark(textured, texturedPayload, KEY), KEY)[0]!.confidence;
    expect(marked).toBeGreaterThan(unmarked + 3);
  });

  it('should stay invisible: PSNR of at least 40 dB, on flat and noisy content', () => {
    for (const image of [flat, textured, renderScene(256, 256, 16, 'noisy')]) {
      expect(psnr(image, embedWatermark(image, flatPayload, KEY))).toBeGreaterThanOrEqual(40);
    }
  });

  it('should be deterministic, copy its input, and depend on payload and key', () => {
    const before = Buffer.from(flat.data);
    const first = embedWatermark(flat, flatPayload, KEY);
    const second = embedWatermark(flat, flatPayload, KEY);
    expect(Buffer.from(first.data).equals(Buffer.from(second.data))).toBe(true);
    expect(Buffer.from(flat.data).equals(before)).toBe(true);
    expect(Buffer.from(first.data).equals(before)).toBe(false);
    expect(Buffer.from(embedWatermark(flat, texturedPayload, KEY).data).equals(Buffer.from(first.data))).toBe(false);
    expect(Buffer.from(embedWatermark(flat, flatPayload, KEY + 1).data).equals(Buffer.from(first.data))).toBe(false);
  });

  it('should refuse a payload that is not 8 bytes', () => {
    expect(() => embedWatermark(flat, new Uint8Array(6), KEY)).toThrow(RangeError);
  });
});

describe('the convolutional code', () => {
  const message = Uint8Array.from({ length: 64 }, (_, i) => (i * 7 + (i >> 3)) & 1);

  it('should decode what it encoded', () => {
    const soft = Array.from(encode(message), (bit): number => (bit ? 1 : -1));
    expect(Array.from(decode(soft, 64))).toEqual(Array.from(message));
  });

  it('should correct scattered errors in the coded bits', () => {
    const soft = Array.from(encode(message), (bit): number => (bit ? 1 : -1));
    for (const i of [5, 40, 77, 120]) soft[i] = -0.8 * soft[i]!;
    expect(Array.from(decode(soft, 64))).toEqual(Array.from(message));
  });
});
