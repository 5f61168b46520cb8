import sharp from 'sharp';
import { previewDimensions } from '../../protocol/images.js';
import type { EncodedImage, RawImage } from '../../plugins/sdk/index.js';
/** Most partial images a job may ask for (as `partial_images` in the OpenAI Images API). */
export const MAX_PARTIAL_IMAGES = 3;

/**
 * Which passes send a preview when a job asks for `partialImages` of them:
 * never the final pass (that is the result), and among the earlier ones the
 * latest, spread evenly so that the last preview is the pass just before the
 * final one. With 4 passes: 1 → [3], 2 → [2, 3], 3 → [1, 2, 3].
 */
export function previewPasses(passes: number, partialImages: number): number[] {
  if (!Number.isInteger(partialImages) || partialImages < 0 || partialImages > MAX_PARTIAL_IMAGES) {
    throw new RangeError(`partialImages must be a whole number from 0 to ${MAX_PARTIAL_IMAGES}, got ${partialImages}`);
  }
  const candidates = passes - 1;
  const count = Math.min(partialImages, candidates);
  return Array.from({ length: count }, (_, i) => Math.round(((i + 1) * candidates) / count));
}

/**
 * Encodes a small WebP of `image` at `previewDimensions` (longest side at most
 * 256, never enlarged), which the gateway's stream events report as the
 * partial's size; an alpha channel is kept. Measured against full-size partials
 * in the requested format in docs/BENCHMARKS.md ("Partial images").
 */
export async function encodePreview(image: RawImage): Promise<EncodedImage> {
  const [width, height] = previewDimensions(image.width, image.height);
  const bytes = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
    .resize({ width, height, fit: 'fill' })
    .webp({ quality: 70, effort: 2 })
    .toBuffer();
  return { format: 'webp', bytes: new Uint8Array(bytes) };
}
