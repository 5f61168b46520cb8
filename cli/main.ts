// `lumen`: the command line for a Lumen server. Every command is a thin layer over
// one or two API calls; what a failure means for scripts is its exit code (errors.ts).
import { readFileSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { IMAGE_QUALITIES, IMAGE_SIZES, OUTPUT_FORMATS } from '../protocol/images.js';
import { z } from 'zod';
import { jobObjectSchema, type JobObject } from '../protocol/openai.js';
import { connectionFrom, DEFAULT_BASE_URL, LumenClient } from './api.js';
import { CliError, EXIT_CODES, FailedError, InterruptedError, RefusedError, UsageError } from './errors.js';
import { historyFile, recentJobs, recordJob, type HistoryEntry } from './history.js';
import { cancelJob, followJob, getJob, imageIdOf, saveImages, writeImage, type SavedImage } from './jobs.js';
import { createProgressView, formatSeconds, progressMode, type ProgressView } from './progress.js';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const HELP_FOOTER = `
Environment:
  LUMEN_API_KEY    API key (falls back to OPENAI_API_KEY); \`lumen signup\` gets a free one
  LUMEN_BASE_URL   server, default ${DEFAULT_BASE_URL} (falls back to OPENAI_BASE_URL; a trailing /v1 is fine)
  LUMEN_PROGRESS   always | plain | off (default: bars when stderr is a terminal, plain lines
                   otherwise, nothing with --json)

Exit codes:
  0    done
  2    usage: bad arguments or options, nothing was sent
  3    auth: no API key, or the server refused it
  4    refused: moderation, a bad request (4xx) or a rate limit (429)
  5    failed: the job failed or was cancelled elsewhere, a server error (5xx), or no connection
  130  interrupted by Ctrl-C (a job the command started is cancelled on the server)

Docs: docs/CLI.md`;

interface GlobalOptions {
  json?: boolean;
  baseUrl?: string;
}

interface ImageOptions {
  n: number;
  size?: string;
  quality?: string;
  format?: string;
  background?: string;
  seed?: number;
  partialImages: number;
  out: string;
}

interface Context {
  client: LumenClient;
  json: boolean;
  view: () => ProgressView;
  /** The command's result: `human` lines on stdout, or `document` as JSON with --json. */
  print(human: string, document: unknown): void;
}

function contextOf(command: Command): Context {
  const options = command.optsWithGlobals<GlobalOptions>();
  const json = options.json === true;
  return {
    client: new LumenClient(connectionFrom(process.env, options.baseUrl)),
    json,
    view: () => createProgressView(progressMode(json, process.env, process.stderr), process.stderr),
    print: (human, document) => process.stdout.write(json ? `${JSON.stringify(document, null, 2)}\n` : `${human}\n`),
  };
}

function integer(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || parsed < min || parsed > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}.`);
    return parsed;
  };
}

/** The options generate and edit share, as the Images API names them. */
function withImageOptions(command: Command, partialImagesDefault: number): Command {
  return command
    .option('-n, --n <count>', 'how many images (1-10)', integer('n', 1, 10), 1)
    .addOption(new Option('--size <size>', 'image size').choices(['auto', ...IMAGE_SIZES]))
    .addOption(new Option('--quality <quality>', 'quality').choices(IMAGE_QUALITIES))
    .addOption(new Option('--format <format>', 'file format').choices(OUTPUT_FORMATS))
    .addOption(new Option('--background <background>', 'background').choices(['auto', 'opaque']))
    .option('--seed <seed>', 'the same seed renders the same picture', integer('seed', 0, 2 ** 31 - 1))
    .option('--partial-images <count>', 'previews rendered along the way (0-3); they move the bars image by image', integer('partial-images', 0, 3), partialImagesDefault)
    .option('-o, --out <dir>', 'directory to save the images in', '.');
}

/** The request fields of the shared options, leaving out what the user did not set. */
function imageFields(prompt: string, options: ImageOptions): Record<string, string | number> {
  const fields: Record<string, string | number | undefined> = {
    prompt,
    n: options.n,
    size: options.size,
    quality: options.quality,
    output_format: options.format,
    background: options.background,
    seed: options.seed,
    partial_images: options.partialImages || undefined,
  };
  return Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string | number] => entry[1] !== undefined));
}

/**
 * Submits a job and follows it to its end, then saves its images. Ctrl-C cancels the job
 * on the server; the submission itself is never aborted midway, so a job is never left
 * running without the CLI knowing its id.
 */
async function runJob(context: Context, kind: HistoryEntry['kind'], prompt: string, options: ImageOptions, submit: () => Promise<Response>): Promise<void> {
  const { client } = context;
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT_CODES.interrupted);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const view = context.view();
  let jobId: string | undefined;
  try {
    const response = await submit();
    const body: unknown = await response.json();
    if (response.status === 200) {
      // A server that ignores `Prefer: respond-async` (the OpenAI API itself) answers with the images.
      const saved = await saveInlineImages(body, options.out, prompt);
      return printSaved(context, undefined, saved);
    }
    const job = jobObjectSchema.parse(body);
    jobId = job.id;
    await recordJob(historyFile(process.env), { id: job.id, base_url: client.connection.baseUrl, kind, prompt, created_at: job.created_at });
    view.created(job.id, options.n);
    if (controller.signal.aborted) throw new InterruptedError('Interrupted.');
    const finished = await followJob(client, job, view, controller.signal);
    view.stop();
    const saved = await saveImages(client, job.id, finished.images, options.out, prompt, controller.signal);
    printSaved(context, finished.job, saved);
  } catch (error) {
    view.stop();
    if (!controller.signal.aborted) throw error;
    if (!jobId) throw new InterruptedError('Interrupted before a job was created.');
    const cancelled = await cancelJob(client, jobId).catch(() => undefined);
    throw new InterruptedError(cancelled ? `Cancelled job ${jobId}.` : `Interrupted; job ${jobId} had already ended.`);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/**
 * What the OpenAI API itself answers, as loosely as it can vary (no image ids, other
 * backgrounds): the protocol's imagesResponseSchema is Lumen's own, stricter answer.
 */
const inlineImagesSchema = z.object({
  created: z.number(),
  output_format: z.string().optional(),
  data: z.array(z.object({ b64_json: z.string().optional(), image_id: z.string().optional() })),
});

async function saveInlineImages(body: unknown, dir: string, prompt: string): Promise<SavedImage[]> {
  const answer = inlineImagesSchema.parse(body);
  await mkdir(dir, { recursive: true });
  const format = answer.output_format ?? 'png';
  const saved: SavedImage[] = [];
  for (const [index, item] of answer.data.entries()) {
    if (!item.b64_json) throw new FailedError('The server answered with image URLs, not image data.');
    const imageId = item.image_id ?? `image_${answer.created}_${index}`;
    saved.push(await writeImage(dir, prompt, imageId, index, `image/${format}`, Buffer.from(item.b64_json, 'base64')));
  }
  return saved;
}

function printSaved(context: Context, job: JobObject | undefined, saved: SavedImage[]): void {
  const lines = saved.map((image) => `${image.path}  ${image.image_id}`);
  context.print(lines.join('\n'), { job_id: job?.id ?? null, status: job?.status ?? 'succeeded', images: saved });
}

async function readInput(path: string, what: string): Promise<Blob> {
  try {
    const bytes = await readFile(path);
    return new Blob([bytes], { type: contentTypeOf(path) });
  } catch {
    throw new UsageError(`Cannot read the ${what} '${path}'.`);
  }
}

function contentTypeOf(path: string): string {
  return { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp' }[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

function describeJob(job: JobObject): string {
  const lines = [`${job.id}  ${job.status}`];
  if (job.status === 'queued') {
    const eta = job.estimated_wait_seconds === undefined ? '' : `, about ${formatSeconds(job.estimated_wait_seconds)}`;
    lines.push(`  queue position ${job.queue_position ?? '?'}${eta}`);
  }
  lines.push(`  passes done ${job.passes_done}, attempt ${job.attempt}, created ${new Date(job.created_at * 1000).toISOString()}`);
  if (job.error) lines.push(`  error: ${job.error.message} (${job.error.code})`);
  for (const [index, item] of (job.data ?? []).entries()) lines.push(`  ${imageIdOf(job.id, index)}  ${item.url}`);
  return lines.join('\n');
}

export function buildProgram(): Command {
  const program = new Command('lumen')
    .description('Generate, edit and verify images with a Lumen server.')
    .version(VERSION)
    .option('--json', 'print one JSON document on stdout and no progress')
    .option('--base-url <url>', `server (default: $LUMEN_BASE_URL, $OPENAI_BASE_URL or ${DEFAULT_BASE_URL})`)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`lumen: ${text.replace(/^error: /, '')}`) })
    .addHelpText('after', HELP_FOOTER);

  withImageOptions(
    program
      .command('generate')
      .description('generate images from a prompt, showing each pass, and save them')
      .argument('<prompt>', 'what to draw'),
    3,
  ).action(async (prompt: string, options: ImageOptions, command: Command) => {
    const context = contextOf(command);
    await runJob(context, 'generation', prompt, options, () =>
      context.client.request('POST', '/v1/images/generations', { json: imageFields(prompt, options), headers: { prefer: 'respond-async' } }),
    );
  });

  withImageOptions(
    program
      .command('edit')
      .description('edit an image (a file, or an earlier output by its image id) and save the results')
      .argument('<image>', 'an image file, or an image id (img_…)')
      .argument('<prompt>', 'the change to make')
      .option('--mask <file>', 'PNG with alpha, the size of the image; alpha 0 marks the area to change'),
    0,
  ).action(async (image: string, prompt: string, options: ImageOptions & { mask?: string }, command: Command) => {
    const context = contextOf(command);
    const isFile = await stat(image).then(
      (found) => found.isFile(),
      () => false,
    );
    if (!isFile && !image.startsWith('img_')) throw new UsageError(`'${image}' is neither a file nor an image id (img_…).`);
    const fields = imageFields(prompt, options);
    if (!isFile) {
      if (options.mask) throw new UsageError('--mask needs the image as a file; an edit by image id changes the regions its prompt names.');
      await runJob(context, 'edit', prompt, options, () =>
        context.client.request('POST', '/v1/images/edits', { json: { image_id: image, ...fields }, headers: { prefer: 'respond-async' } }),
      );
      return;
    }
    const form = new FormData();
    form.append('image', await readInput(image, 'image'), basename(image));
    if (options.mask) form.append('mask', await readInput(options.mask, 'mask'), basename(options.mask));
    for (const [name, value] of Object.entries(fields)) form.append(name, String(value));
    await runJob(context, 'edit', prompt, options, () => context.client.request('POST', '/v1/images/edits', { form, headers: { prefer: 'respond-async' } }));
  });

  program
    .command('jobs')
    .description("a job's status (or follow it with --watch); without an id, the jobs this machine started")
    .argument('[id]', 'job id (job_…)')
    .option('--watch', 'follow the job until it ends')
    .option('-o, --out <dir>', 'with --watch: save the finished images here')
    .option('--limit <count>', 'without an id: how many recent jobs', integer('limit', 1, 100), 10)
    .action(async (id: string | undefined, options: { watch?: boolean; out?: string; limit: number }, command: Command) => {
      const context = contextOf(command);
      const { client } = context;
      if (!id) {
        if (options.watch) throw new UsageError('--watch needs a job id.');
        const entries = await recentJobs(historyFile(process.env), client.connection.baseUrl, options.limit);
        const jobs = await Promise.all(
          entries.map(async (entry) => {
            const job = await getJob(client, entry.id).catch((error: unknown) => {
              if (error instanceof RefusedError) return undefined;
              throw error;
            });
            return { ...entry, status: job?.status ?? 'unknown', queue_position: job?.queue_position ?? null };
          }),
        );
        const lines = jobs.map((job) => `${job.id}  ${job.status.padEnd(9)}  ${new Date(job.created_at * 1000).toISOString()}  ${job.kind}: ${job.prompt.slice(0, 60)}`);
        context.print(lines.length > 0 ? lines.join('\n') : `No jobs started from this machine on ${client.connection.baseUrl} yet.`, { jobs });
        return;
      }
      if (!options.watch) {
        const job = await getJob(client, id);
        context.print(describeJob(job), job);
        return;
      }
      // Ctrl-C stops watching; the job is someone's (perhaps another terminal's), so it goes on.
      const controller = new AbortController();
      const onSigint = () => controller.abort();
      process.once('SIGINT', onSigint);
      const view = context.view();
      try {
        const job = await getJob(client, id, controller.signal);
        const images = job.status === 'succeeded' ? (job.data?.length ?? 0) : 1;
        view.created(job.id, images);
        const finished = await followJob(client, job, view, controller.signal);
        view.stop();
        const saved = options.out ? await saveImages(client, id, finished.images, options.out, 'job', controller.signal) : [];
        context.print([describeJob(finished.job), ...saved.map((image) => `${image.path}  ${image.image_id}`)].join('\n'), { ...finished.job, saved });
      } catch (error) {
        view.stop();
        if (controller.signal.aborted) throw new InterruptedError(`Stopped watching; job ${id} goes on (lumen jobs ${id}).`);
        throw error;
      } finally {
        process.off('SIGINT', onSigint);
      }
    });

  program
    .command('verify')
    .description('check whether Lumen made an image (watermark, signed record)')
    .argument('<file>', 'the image')
    .action(async (file: string, _options: unknown, command: Command) => {
      const context = contextOf(command);
      const form = new FormData();
      form.append('image', await readInput(file, 'image'), basename(file));
      const answer = await context.client.json<Verification>('POST', '/v1/provenance/verify', { form });
      const lines = [`made by Lumen: ${answer.made_by_lumen ? 'yes' : 'no'} (match: ${answer.match}${answer.watermark.confidence === undefined ? '' : `, watermark confidence ${answer.watermark.confidence.toFixed(1)}`})`];
      const record = answer.record;
      if (record) {
        lines.push(`  job ${record.job_id}, image ${record.image_index} (${imageIdOf(record.job_id, record.image_index)}), made ${new Date(record.created_at * 1000).toISOString()} by ${record.model}`);
        lines.push(`  signed record: ${record.signature_valid ? 'valid' : 'INVALID'}; bytes ${record.sha256_matches ? 'unchanged' : 'changed since delivery'}`);
      }
      context.print(lines.join('\n'), answer);
    });

  program
    .command('signup')
    .description('get a free-tier API key')
    .option('--email <email>', 'contact email')
    .option('--name <name>', 'a name for the account')
    .action(async (options: { email?: string; name?: string }, command: Command) => {
      const context = contextOf(command);
      const answer = await context.client.json<{ tenant: string; key: string; tier: string }>('POST', '/v1/signup', {
        json: { ...(options.email && { email: options.email }), ...(options.name && { name: options.name }) },
        anonymous: true,
      });
      const baseUrl = context.client.connection.baseUrl;
      const exports = [`  export LUMEN_API_KEY=${answer.key}`, ...(baseUrl === DEFAULT_BASE_URL ? [] : [`  export LUMEN_BASE_URL=${baseUrl}`])];
      context.print([`Signed up: tenant ${answer.tenant}, ${answer.tier} tier. Your API key:`, answer.key, '', 'Use it with:', ...exports].join('\n'), answer);
    });

  program
    .command('moderate')
    .description('classify text with the server\'s safety policy (POST /v1/moderations)')
    .argument('<text>', 'the text, e.g. a prompt')
    .action(async (text: string, _options: unknown, command: Command) => {
      const context = contextOf(command);
      const answer = await context.client.json<Moderation>('POST', '/v1/moderations', { json: { input: text } });
      const result = answer.results[0];
      if (!result) throw new FailedError('The server answered without a result.');
      const hits = Object.entries(result.categories)
        .filter(([, flagged]) => flagged)
        .map(([category]) => `  ${category}  ${(result.category_scores[category] ?? 0).toFixed(2)}`);
      context.print([`flagged: ${result.flagged ? 'yes' : 'no'}`, ...hits].join('\n'), answer);
    });

  return program;
}

interface Verification {
  made_by_lumen: boolean;
  match: string;
  watermark: { detected: boolean; confidence?: number };
  record?: { job_id: string; image_index: number; created_at: number; model: string; signature_valid: boolean; sha256_matches: boolean };
}

interface Moderation {
  results: { flagged: boolean; categories: Record<string, boolean>; category_scores: Record<string, number> }[];
}

/** Runs the CLI and resolves with its exit code; errors are printed as one line on stderr. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT_CODES.ok;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
    const failure = error instanceof CliError ? error : new FailedError(error instanceof Error ? error.message : String(error));
    process.stderr.write(`lumen: ${failure.message}\n`);
    if (program.opts<GlobalOptions>().json) {
      process.stdout.write(`${JSON.stringify({ error: { kind: failure.constructor.name.replace(/Error$/, '').toLowerCase(), message: failure.message, exit_code: failure.exitCode } })}\n`);
    }
    return failure.exitCode;
  }
}

const code = await main(process.argv);
// Flush stdout before exiting: a pipe is written asynchronously.
process.stdout.write('', () => process.exit(code));
