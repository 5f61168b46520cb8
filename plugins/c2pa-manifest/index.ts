import { createRequire } from 'node:module';
import { encodeRaw, GENERATED_IMAGE_XMP, TRAINED_ALGORITHMIC_MEDIA } from '../encode-sharp/index.js';
import { defineStage, type OutputFormat } from '../sdk/index.js';
import { initC2pa, MIME_TYPES, signManifest, type ManifestDefinition } from './c2pa.js';
import { createCredentialFiles, parseCredentials, type C2paCredentials } from './certificates.js';

export { createCredentialFiles, parseCredentials, type C2paCredentialFiles, type C2paCredentials } from './certificates.js';
export { readManifest, type ManifestReading } from './c2pa.js';

/** The label of Lumen's own assertion: which image of which job, and the watermark payload its signed provenance record is found by. */
export const PROVENANCE_ASSERTION = 'lumen.provenance';

// The claim generator is Lumen itself, so it carries Lumen's release version.
const LUMEN_VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export interface C2paManifestOptions {
  /**
   * The chain to sign with. The host passes the deployment's persisted chain
   * (see docs/CONFIGURATION.md). Without it, setup makes a throwaway chain and
   * warns: manifests are then valid but trusted by no one.
   */
  credentials?: C2paCredentials;
  /** The model named as the software agent of `c2pa.created` (default: the default pack's decoder). */
  model?: string;
  /** Encode stages that must finish first (default the sharp encoder); anything that rewrites bytes after signing breaks the manifest. */
  after?: readonly string[];
}

/** Which image a manifest is about: what links it to the host's signed provenance record. */
export interface ImageIdentity {
  readonly jobId: string;
  readonly imageIndex: number;
  /** The watermark payload the host assigned, under which its provenance record is stored. */
  readonly watermarkPayload: Uint8Array;
}

/** The manifest of one image: created by a trained model, plus the link to its signed provenance record. */
export function manifestFor(image: ImageIdentity, format: OutputFormat, model: string): ManifestDefinition {
  const { jobId, imageIndex, watermarkPayload } = image;
  const extension = format === 'jpeg' ? 'jpg' : format;
  return {
    claim_generator_info: [{ name: 'Lumen', version: LUMEN_VERSION }],
    title: `${jobId}-${imageIndex}.${extension}`,
    format: MIME_TYPES[format],
    assertions: [
      {
        label: 'c2pa.actions',
        data: { actions: [{ action: 'c2pa.created', digitalSourceType: TRAINED_ALGORITHMIC_MEDIA, softwareAgent: { name: model, version: LUMEN_VERSION } }] },
      },
      {
        label: PROVENANCE_ASSERTION,
        data: { job_id: jobId, image_index: imageIndex, watermark: Buffer.from(watermarkPayload).toString('hex') },
      },
    ],
  };
}

/**
 * Signs a C2PA manifest into every encoded image (PNG, JPEG, WebP), next to
 * the XMP the encoder wrote. Runs last among encode stages, since any later
 * rewrite of the bytes would break the manifest's hash. The manifest carries
 * a random salt per assertion, so equal seeds give equal pixels but not equal bytes.
 */
export default defineStage('encode', ({ credentials, model = 'lumen/progressive-decoder', after = ['lumen/sharp-encoder'] }: C2paManifestOptions = {}) => {
  let signingCredentials = credentials;
  return {
    name: 'lumen/c2pa-manifest',
    order: 'post',
    after,
    async setup({ logger }) {
      await initC2pa();
      if (!signingCredentials) {
        logger.warn('lumen/c2pa-manifest got no credentials; signing with a throwaway chain that no validator trusts');
        signingCredentials = parseCredentials(await createCredentialFiles());
      }
      // One throwaway signature, so the first job does not pay c2pa-rs's lazy start-up (about 100 ms).
      const warmup = await encodeRaw({ width: 1, height: 1, channels: 3, data: new Uint8Array(3) }, 'png', 100);
      await signManifest(warmup.bytes, 'png', manifestFor({ jobId: 'warm-up', imageIndex: 0, watermarkPayload: new Uint8Array(8) }, 'png', model), signingCredentials);
    },
    async encode(ctx, image, previous) {
      if (!signingCredentials) throw new Error('lumen/c2pa-manifest was not set up');
      // Alone in a pipeline it encodes like the default encoder, so it can be tried on its own.
      const encoded = previous ?? (await encodeRaw(image, ctx.job.outputFormat, ctx.job.outputCompression, GENERATED_IMAGE_XMP));
      const manifest = manifestFor({ jobId: ctx.job.jobId, imageIndex: ctx.imageIndex, watermarkPayload: ctx.watermarkPayload }, encoded.format, model);
      return { format: encoded.format, bytes: await signManifest(encoded.bytes, encoded.format, manifest, signingCredentials) };
    },
  };
});
