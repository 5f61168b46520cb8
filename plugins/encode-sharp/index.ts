import sharp from 'sharp';
import { defineStage, type EncodedImage, type RawImage } from '../sdk/index.js';

/** Encodes raw pixels with sharp; output depends only on the pixels and options, so equal seeds give equal bytes. */
export async function encodeRaw(image: RawImage, format: EncodedImage['format'], compression: number): Promise<EncodedImage> {
  const input = sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
  const quality = Math.max(1, Math.min(100, compression));
  const output =
    format === 'png'
      ? input.png({ compressionLevel: 6, adaptiveFiltering: false })
      : format === 'jpeg'
        ? input.jpeg({ quality, mozjpeg: true })
        : input.webp({ quality });
  return { format, bytes: new Uint8Array(await output.toBuffer()) };
}

/** The default encoder: PNG, JPEG or WebP as the request's `output_format` asks. */
export default defineStage('encode', () => ({
  name: 'lumen/sharp-encoder',
  async encode(ctx, image, previous) {
    return previous ?? encodeRaw(image, ctx.job.outputFormat, ctx.job.outputCompression);
  },
}));
