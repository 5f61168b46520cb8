// Partial-image encoding: what one stream preview costs to encode and to send,
// today's small WebP against full-size partials in the requested format.
//
//   node --import tsx bench/partials.ts            # 12 timed encodes per row after 2 warm-ups
//   node --import tsx bench/partials.ts --reps 3   # a smoke run
//
// The pictures are real pass-3-of-4 renders (the last partial a job sends) of
// the default tokenizer and ONNX decoder, opaque and transparent. Prints a
// markdown table for docs/BENCHMARKS.md ("Partial images").
import { parseArgs } from 'node:util';
import sharp, { type Sharp } from 'sharp';
import { encodePreview } from '../origin-gpu/pipeline/previews.js';
import { OnnxRuntime } from '../origin-gpu/runtime/onnx-runtime.js';
import progressiveDecoder from '../plugins/decode-progressive/index.js';
import { encodeRaw } from '../plugins/encode-sharp/index.js';
import type { EncodedImage, HookContext, RawImage } from '../plugins/sdk/index.js';
import sceneTokenizer from '../plugins/tokenize-scene/index.js';
import { benchJob, benchLogger, machine, percentile, round } from './harness.js';

const { values: args } = parseArgs({ options: { reps: { type: 'string', default: '12' } } });
const REPS = Number(args.reps);
const PROMPT = 'three pastel stars above a house, ghibli style';

interface Encoding {
  name: string;
  encode(image: RawImage): Promise<EncodedImage>;
}

const encodings: Encoding[] = [
  { name: 'today: WebP ≤256 px (q70, effort 2)', encode: (image) => encodePreview(image) },
  { name: 'full size PNG (the encoder: level 6)', encode: (image) => encodeRaw(image, 'png', 100) },
  {
    name: 'full size PNG (level 1, fastest)',
    encode: async (image) => ({ format: 'png', bytes: new Uint8Array(await raw(image).png({ compressionLevel: 1, adaptiveFiltering: false }).toBuffer()) }),
  },
  { name: 'full size WebP (q70, effort 2)', encode: async (image) => ({ format: 'webp', bytes: new Uint8Array(await raw(image).webp({ quality: 70, effort: 2 }).toBuffer()) }) },
  { name: 'full size WebP (the encoder: q100)', encode: (image) => encodeRaw(image, 'webp', 100) },
  { name: 'full size JPEG (q70, mozjpeg)', encode: (image) => encodeRaw(image, 'jpeg', 70) },
];

function raw(image: RawImage): Sharp {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
}

async function renderPass3(runtime: OnnxRuntime, width: number, height: number, background: 'opaque' | 'transparent'): Promise<RawImage> {
  const tokenizer = sceneTokenizer();
  const decoder = progressiveDecoder();
  await tokenizer.setup?.({ logger: benchLogger, runtime });
  await decoder.setup?.({ logger: benchLogger, runtime });
  const job = { ...benchJob({ jobId: 'job_partials', prompt: PROMPT, width, height, seed: 5 }), background };
  const ctx: HookContext = { job, imageIndex: 0, seed: 5, signal: new AbortController().signal, logger: benchLogger, watermarkPayload: new Uint8Array(8) };
  const grid = await tokenizer.tokenize(ctx, undefined);
  return decoder.decodePass({ ...ctx, grid, pass: 3, passes: 4 }, undefined);
}

const runtime = new OnnxRuntime();
const rows: string[] = [];
const started = performance.now();
for (const [width, height] of [
  [1024, 1024],
  [1536, 1024],
] as const) {
  for (const background of ['opaque', 'transparent'] as const) {
    const image = await renderPass3(runtime, width, height, background);
    for (const encoding of encodings) {
      if (background === 'transparent' && encoding.name.includes('JPEG')) continue;
      for (let i = 0; i < 2; i++) await encoding.encode(image);
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < REPS; i++) {
        const t0 = performance.now();
        const output = await encoding.encode(image);
        times.push(performance.now() - t0);
        bytes = output.bytes.byteLength;
      }
      const sorted = times.sort((a, b) => a - b);
      const sseKiB = (Math.ceil(bytes / 3) * 4) / 1024;
      rows.push(`| ${width}x${height} | ${background} | ${encoding.name} | ${round(percentile(sorted, 50))} | ${round(percentile(sorted, 95))} | ${round(bytes / 1024)} | ${round(sseKiB)} |`);
    }
  }
}
await runtime.dispose();

console.log(
  [
    `Command: \`node --import tsx bench/partials.ts\` (${REPS} timed encodes per row after 2 warm-ups; prompt "${PROMPT}", pass 3 of 4)`,
    `Machine: ${machine()}; whole run ${round((performance.now() - started) / 1000, 0)} s`,
    '',
    '| job size | background | partial encoding | p50 ms | p95 ms | bytes (KiB) | base64 in the event (KiB) |',
    '|---|---|---|---:|---:|---:|---:|',
    ...rows,
  ].join('\n'),
);
