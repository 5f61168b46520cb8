// An example plugin: a decode post-processor that darkens the corners of
// every pass. It is not in the default pipeline; pipeline.json next to this
// file is the default pipeline plus this stage. docs/PLUGINS.md walks through it.
import { defineStage, type RawImage } from '../../sdk/index.js';

export interface VignetteOptions {
  /** How dark the corners get: 0 leaves the image alone, 1 turns them black. Default 0.4. */
  strength?: number;
  /** Where darkening starts, as a fraction of the centre-to-corner distance (0 to below 1). Default 0.5. */
  start?: number;
}

/**
 * Returns a copy of `image` darkened towards the corners with a smoothstep
 * falloff. Pure: same input, same bytes; alpha is left alone.
 */
export function applyVignette(image: RawImage, strength: number, start: number): RawImage {
  const { width, height, channels } = image;
  const data = new Uint8Array(image.data);
  const cx = width / 2;
  const cy = height / 2;
  for (let y = 0; y < height; y++) {
    const dy = (y + 0.5 - cy) / cy;
    for (let x = 0; x < width; x++) {
      const dx = (x + 0.5 - cx) / cx;
      // 0 at the centre, 1 at the corners.
      const distance = Math.sqrt((dx * dx + dy * dy) / 2);
      const t = Math.min(1, Math.max(0, (distance - start) / (1 - start)));
      const factor = 1 - strength * t * t * (3 - 2 * t);
      if (factor === 1) continue;
      const offset = (y * width + x) * channels;
      for (let c = 0; c < 3; c++) data[offset + c] = Math.round(data[offset + c]! * factor);
    }
  }
  return { width, height, channels, data };
}

/** Darkens the corners of the image the progressive decoder renders, at every pass (so previews show it too). */
export default defineStage('decode', ({ strength = 0.4, start = 0.5 }: VignetteOptions = {}) => {
  // Options are checked when the pipeline loads, so a typo fails at startup, not on the first job.
  if (!(strength >= 0 && strength <= 1)) throw new RangeError(`example/vignette: strength must be between 0 and 1, got ${strength}`);
  if (!(start >= 0 && start < 1)) throw new RangeError(`example/vignette: start must be at least 0 and below 1, got ${start}`);
  return {
    name: 'example/vignette',
    order: 'post',
    after: ['lumen/progressive-decoder'],
    decodePass(ctx, previous) {
      if (!previous) throw new Error('example/vignette has no image to darken: it must run after a decode stage that renders one');
      ctx.signal.throwIfAborted();
      return applyVignette(previous, strength, start);
    },
  };
});
