import { createRequire } from 'node:module';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPipeline } from '../../origin-gpu/pipeline/registry.js';
import { loadC2paCredentials } from '../../origin-gpu/provenance/c2pa-credentials.js';
import c2paManifest, { createCredentialFiles, parseCredentials, readManifest, type C2paCredentials } from '../../plugins/c2pa-manifest/index.js';
import sharpEncoder, { TRAINED_ALGORITHMIC_MEDIA } from '../../plugins/encode-sharp/index.js';
import type { GenerationSpec, HookContext, OutputFormat, RawImage, Stage } from '../../plugins/sdk/index.js';

const DEFAULT_PIPELINE = fileURLToPath(new URL('../../origin-gpu/pipeline.json', import.meta.url));
const LUMEN_VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const runtime = { load: () => Promise.reject(new Error('no models here')) };
const FORMATS = ['png', 'jpeg', 'webp'] as const;

function context(outputFormat: OutputFormat, jobId = 'job_c2pa'): HookContext {
  const job: GenerationSpec = { jobId, prompt: 'a red circle', width: 256, height: 192, n: 1, quality: 'auto', outputFormat, outputCompression: 90, seed: 4 };
  return { job, imageIndex: 0, seed: 4, signal: new AbortController().signal, logger: silent, watermarkPayload: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]) };
}

function picture(width = 256, height = 192): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set([(i % width) & 0xff, (i / width) & 0xff, (i * 7) & 0xff], i * 3);
  return { width, height, channels: 3, data };
}

const pixels = (bytes: Uint8Array) => sharp(bytes).raw().toBuffer();
const assertionOf = (reading: Awaited<ReturnType<typeof readManifest>>, label: string) =>
  reading.manifest?.assertions?.find((assertion) => assertion.label === label || assertion.label.startsWith(`${label}.`))?.data;

describe('lumen/c2pa-manifest', () => {
  let credentials: C2paCredentials;
  let stage: Stage<'encode'>;
  const encoder = sharpEncoder() as Stage<'encode'>;
  const image = picture();

  beforeAll(async () => {
    credentials = parseCredentials(await createCredentialFiles());
    stage = c2paManifest({ credentials }) as Stage<'encode'>;
    await stage.setup?.({ logger: silent, runtime });
  });

  /** The sharp encoder's real output (with its XMP), then the stage; returns both and how long signing took. */
  async function signed(format: OutputFormat) {
    const ctx = context(format);
    const encoded = await encoder.encode(ctx, image, undefined);
    const started = performance.now();
    const output = await stage.encode(ctx, image, encoded);
    return { encoded, output, ms: performance.now() - started };
  }

  it('should run right after the sharp encoder in the default pipeline', async () => {
    const pipeline = await loadPipeline(DEFAULT_PIPELINE, { 'lumen/c2pa-manifest': { credentials } });
    expect(pipeline.byKind('encode').map((candidate) => candidate.name)).toEqual(['lumen/sharp-encoder', 'lumen/c2pa-manifest']);
  });

  describe.each(FORMATS)('%s', (format) => {
    it('should embed a manifest that validates as trusted under our root, declaring a trained model made it', async () => {
      const { encoded, output } = await signed(format);
      expect(output.format).toBe(format);
      const reading = await readManifest(output.bytes, format, credentials.trustAnchorPem);
      expect(reading.state).toBe('Trusted');
      expect(reading.failures).toEqual([]);
      expect(reading.manifest?.claim_generator_info?.[0]).toMatchObject({ name: 'Lumen', version: LUMEN_VERSION });
      expect(reading.manifest?.signature_info).toMatchObject({ alg: 'Ed25519', issuer: 'Lumen' });
      expect(assertionOf(reading, 'c2pa.actions')).toEqual({
        actions: [{ action: 'c2pa.created', digitalSourceType: TRAINED_ALGORITHMIC_MEDIA, softwareAgent: { name: 'lumen/progressive-decoder', version: LUMEN_VERSION } }],
      });
      expect(assertionOf(reading, 'lumen.provenance')).toEqual({ job_id: 'job_c2pa', image_index: 0, watermark: '0102030405060708' });
      // Intact, but without our root as anchor nobody vouches for the signer.
      const untrusted = await readManifest(output.bytes, format);
      expect(untrusted.state).toBe('Valid');
      expect(untrusted.failures).toEqual(['signingCredential.untrusted']);
      // The encoder's XMP and pixels are untouched.
      const metadata = await sharp(output.bytes).metadata();
      expect([metadata.format === 'heif' ? 'webp' : metadata.format, metadata.width, metadata.height]).toEqual([format, 256, 192]);
      expect(metadata.xmp?.toString()).toContain(TRAINED_ALGORITHMIC_MEDIA);
      expect((await pixels(output.bytes)).equals(await pixels(encoded.bytes))).toBe(true);
    });

    it('should lose the manifest when sharp re-encodes the image', async () => {
      const { output } = await signed(format);
      const reencoded = new Uint8Array(await sharp(output.bytes).toFormat(format).toBuffer());
      expect(await readManifest(reencoded, format, credentials.trustAnchorPem)).toEqual({ state: 'none', failures: [] });
    });

    it('should fail validation when one byte of the image data changes', async () => {
      const { encoded, output } = await signed(format);
      // A run from the middle of the unsigned file is image data; find it in the signed one and flip a bit.
      const middle = Math.floor(encoded.bytes.length / 2);
      const at = Buffer.from(output.bytes).indexOf(Buffer.from(encoded.bytes.subarray(middle, middle + 16)));
      expect(at).toBeGreaterThan(0);
      const tampered = Uint8Array.from(output.bytes);
      tampered[at + 8]! ^= 0x01;
      const reading = await readManifest(tampered, format, credentials.trustAnchorPem);
      expect(reading.state).toBe('Invalid');
      expect(reading.failures).toContain('assertion.dataHash.mismatch');
    });

    it('should repeat pixels, not bytes, for the same input (the salts differ)', async () => {
      const [first, second] = [await signed(format), await signed(format)];
      expect(Buffer.from(first.output.bytes).equals(Buffer.from(second.output.bytes))).toBe(false);
      expect((await pixels(first.output.bytes)).equals(await pixels(second.output.bytes))).toBe(true);
    });
  });

  it('should cost a few milliseconds and about 2 KB per image', async () => {
    await signed('png'); // warm
    for (const format of FORMATS) {
      const runs = [];
      for (let i = 0; i < 5; i++) runs.push(await signed(format)); // one after another: the stage signs one image at a time
      const ms = runs.map((run) => run.ms).sort((a, b) => a - b);
      const added = runs[0]!.output.bytes.length - runs[0]!.encoded.bytes.length;
      console.log(`c2pa ${format} 256x192: sign ${ms[2]!.toFixed(1)} ms median (min ${ms[0]!.toFixed(1)}, max ${ms[4]!.toFixed(1)}), +${added} bytes`);
      expect(added).toBeLessThan(4096);
    }
  });

  it('should sign concurrent images one at a time without mixing them up', async () => {
    const outputs = await Promise.all(FORMATS.map(async (format) => ({ format, ...(await signed(format)) })));
    for (const { format, output } of outputs) {
      const reading = await readManifest(output.bytes, format, credentials.trustAnchorPem);
      expect(reading.state).toBe('Trusted');
      expect(reading.manifest?.title).toBe(`job_c2pa-0.${format === 'jpeg' ? 'jpg' : format}`);
    }
    expect('FileReaderSync' in globalThis).toBe(false);
  });
});

describe('C2PA credentials', () => {
  it('should create the chain on first start, keep the key private, and load the same chain again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lumen-c2pa-'));
    const paths = { certificatesPath: join(dir, 'state', 'c2pa-cert.pem'), keyPath: join(dir, 'state', 'c2pa-key.pem') };
    const first = await loadC2paCredentials(paths);
    expect((await stat(paths.keyPath)).mode & 0o777).toBe(0o600);
    const again = await loadC2paCredentials(paths);
    expect(again.trustAnchorPem).toBe(first.trustAnchorPem);
    expect(Buffer.from(again.chain[0]!).equals(Buffer.from(first.chain[0]!))).toBe(true);
    // The PEMs from a secret store win over the files.
    const other = await createCredentialFiles();
    const fromEnv = await loadC2paCredentials({ ...paths, certificatesPem: other.certificatesPem, keyPem: other.privateKeyPem });
    expect(fromEnv.trustAnchorPem).not.toBe(first.trustAnchorPem);
    await expect(loadC2paCredentials({ ...paths, certificatesPem: other.certificatesPem })).rejects.toThrow(/set both or neither/);
    expect((await readFile(paths.certificatesPath, 'utf8')).match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
  });

  it('should refuse a key that is not the leaf\'s, and a chain out of order', async () => {
    const [a, b] = [await createCredentialFiles(), await createCredentialFiles()];
    expect(() => parseCredentials({ certificatesPem: a.certificatesPem, privateKeyPem: b.privateKeyPem })).toThrow(/does not belong/);
    const [leaf, root] = a.certificatesPem.split(/(?<=-----END CERTIFICATE-----)\n/);
    expect(() => parseCredentials({ certificatesPem: `${root}\n${leaf}`, privateKeyPem: a.privateKeyPem })).toThrow(/not signed by the certificate after it/);
    expect(() => parseCredentials({ certificatesPem: leaf!, privateKeyPem: a.privateKeyPem })).toThrow(/needs the signing certificate followed by its root/);
  });
});
