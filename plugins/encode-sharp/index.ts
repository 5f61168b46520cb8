import sharp from 'sharp';
import { defineStage, type EncodedImage, type RawImage } from '../sdk/index.js';

/** IPTC's term for media made by a trained model, which C2PA and the major platforms read as "AI-generated". */
export const TRAINED_ALGORITHMIC_MEDIA = 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia';

/** An XMP packet declaring the image machine-generated (IPTC Photo Metadata `DigitalSourceType`). */
export const GENERATED_IMAGE_XMP = [
  '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>',
  '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
  '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
  '<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" xmlns:xmp="http://ns.adobe.com/xap/1.0/">',
  `<Iptc4xmpExt:DigitalSourceType>${TRAINED_ALGORITHMIC_MEDIA}</Iptc4xmpExt:DigitalSourceType>`,
  '<xmp:CreatorTool>Lumen</xmp:CreatorTool>',
  '</rdf:Description>',
  '</rdf:RDF>',
  '</x:xmpmeta>',
  '<?xpacket end="w"?>',
].join('\n');

/** Encodes raw pixels with sharp; output depends only on the pixels and options, so equal seeds give equal bytes. PNG and WebP keep an alpha channel. */
export async function encodeRaw(image: RawImage, format: EncodedImage['format'], compression: number, xmp?: string): Promise<EncodedImage> {
  let input = sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
  if (xmp) input = input.withXmp(xmp);
  const quality = Math.max(1, Math.min(100, compression));
  const output =
    format === 'png'
      ? input.png({ compressionLevel: 6, adaptiveFiltering: false })
      : format === 'jpeg'
        ? // JPEG has no alpha: an RGBA image is shown over white rather than with its hidden background.
          (image.channels === 4 ? input.flatten({ background: '#ffffff' }) : input).jpeg({ quality, mozjpeg: true })
        : input.webp({ quality });
  return { format, bytes: new Uint8Array(await output.toBuffer()) };
}

export interface SharpEncoderOptions {
  /** Embed the IPTC "trainedAlgorithmicMedia" XMP packet (default true). */
  contentCredentials?: boolean;
}

/** The default encoder: PNG, JPEG or WebP as the request's `output_format` asks, labelled as AI-generated. */
export default defineStage('encode', ({ contentCredentials = true }: SharpEncoderOptions = {}) => ({
  name: 'lumen/sharp-encoder',
  async encode(ctx, image, previous) {
    return previous ?? encodeRaw(image, ctx.job.outputFormat, ctx.job.outputCompression, contentCredentials ? GENERATED_IMAGE_XMP : undefined);
  },
}));
