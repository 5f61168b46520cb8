import sharp, { type Metadata } from 'sharp';
import type { RawImage } from '../../plugins/sdk/index.js';

/** Largest upload taken for verification or editing. */
export const MAX_IMAGE_UPLOAD_BYTES = 25 * 1024 * 1024;
/** Largest decoded image, checked from the header before any pixel is decoded. */
export const MAX_IMAGE_UPLOAD_PIXELS = 40_000_000;

/** An upload that is not a usable image; `code` is the API error code. */
export class BadImageError extends Error {
  override name = 'BadImageError';
  constructor(
    readonly code: 'image_too_large' | 'invalid_image' | 'image_too_many_pixels',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Decodes an uploaded PNG, JPEG, WebP, GIF (first frame), AVIF or TIFF into
 * 8-bit sRGB pixels, refusing oversize files, oversize images (before their
 * pixels are decoded) and corrupt or truncated data.
 */
export async function decodeImage(bytes: Uint8Array, options: { keepAlpha?: boolean } = {}): Promise<RawImage> {
  if (bytes.byteLength === 0) throw new BadImageError('invalid_image', 'The image is empty.');
  if (bytes.byteLength > MAX_IMAGE_UPLOAD_BYTES) {
    throw new BadImageError('image_too_large', `The image is ${bytes.byteLength} bytes; the limit is ${MAX_IMAGE_UPLOAD_BYTES} bytes (25 MB).`);
  }
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes).metadata();
  } catch {
    throw new BadImageError('invalid_image', 'The file is not an image in a supported format (PNG, JPEG, WebP, GIF, AVIF or TIFF).');
  }
  const { width = 0, height = 0 } = metadata;
  if (width * height > MAX_IMAGE_UPLOAD_PIXELS) {
    throw new BadImageError('image_too_many_pixels', `The image is ${width}x${height} (${(width * height / 1e6).toFixed(1)} megapixels); the limit is 40 megapixels.`);
  }
  try {
    let pipeline = sharp(bytes, { limitInputPixels: MAX_IMAGE_UPLOAD_PIXELS, failOn: 'error' }).rotate().toColourspace('srgb');
    pipeline = options.keepAlpha ? pipeline.ensureAlpha() : pipeline.removeAlpha();
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, channels: info.channels === 4 ? 4 : 3, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new BadImageError('invalid_image', `The image is corrupt or truncated and could not be decoded (${reason}).`);
  }
}
