// Following a job to its end and fetching its images. The CLI always submits with
// `Prefer: respond-async` and then follows GET /v1/images/jobs/:id/events: unlike
// the `stream: true` answer, that flow has the job id at once (for Ctrl-C), the
// queue position and ETA (from the job object), and a `progress` event for every
// pass, not only the `partial_images` ones.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jobObjectSchema, type JobObject } from '../protocol/openai.js';
import type { LumenClient, ServerEvent } from './api.js';
import { FailedError, InterruptedError, RefusedError } from './errors.js';
import type { ProgressView } from './progress.js';

/** How often a queued job's position and ETA are re-read: the events stream has no event for the queue moving. */
const QUEUE_POLL_MS = 2_000;
/** Reconnections of a dropped events stream (it resumes from Last-Event-ID) before giving up. */
const MAX_RECONNECTS = 5;

export interface FinishedJob {
  job: JobObject;
  images: number;
}

export async function getJob(client: LumenClient, id: string, signal?: AbortSignal): Promise<JobObject> {
  return jobObjectSchema.parse(await client.json('GET', `/v1/images/jobs/${encodeURIComponent(id)}`, { signal }));
}

/** `img_<job id without job_>_<index>`, the documented form of an output's id (docs/API.md, "Image ids"). */
export function imageIdOf(jobId: string, index: number): string {
  return `img_${jobId.replace(/^job_/, '')}_${index}`;
}

function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Follows the job's events until it ends; resolves when it succeeded, throws the matching CliError otherwise. */
export async function followJob(client: LumenClient, first: JobObject, view: ProgressView, signal: AbortSignal): Promise<FinishedJob> {
  const id = first.id;
  let status = first.status;
  view.queued({ position: first.queue_position, etaSeconds: first.estimated_wait_seconds });

  let polling = false;
  const pollQueue = setInterval(async () => {
    if (status !== 'queued' || polling) return;
    polling = true;
    const job = await getJob(client, id, signal).catch(() => undefined);
    polling = false;
    if (job?.status === 'queued' && status === 'queued') view.queued({ position: job.queue_position, etaSeconds: job.estimated_wait_seconds });
  }, QUEUE_POLL_MS);

  let lastEventId: string | undefined;
  let reconnects = 0;
  try {
    for (;;) {
      let ended: FinishedJob | undefined;
      try {
        for await (const event of client.events(`/v1/images/jobs/${encodeURIComponent(id)}/events`, lastEventId, signal)) {
          lastEventId = event.id ?? lastEventId;
          const outcome = handle(event);
          if (outcome) {
            ended = outcome;
            break;
          }
        }
      } catch (error) {
        if (!(error instanceof FailedError) || reconnects >= MAX_RECONNECTS) throw error;
      }
      if (ended) {
        view.completed();
        return { job: await getJob(client, id, signal), images: ended.images };
      }
      if (signal.aborted) throw new InterruptedError('Interrupted.');
      if (++reconnects > MAX_RECONNECTS) throw new FailedError(`The events stream of job ${id} kept closing before the job ended; follow it with \`lumen jobs ${id} --watch\`.`);
      view.note('events stream closed; reconnecting');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  } finally {
    clearInterval(pollQueue);
  }

  function handle({ event, data }: ServerEvent): FinishedJob | undefined {
    switch (event) {
      case 'leased':
        status = 'running';
        view.started(numberOf(data.attempt) ?? 1);
        // A resumed attempt starts from its checkpoint.
        if ((numberOf(data.resumeAfterPass) ?? 0) > 0) view.pass('all', numberOf(data.resumeAfterPass)!);
        return undefined;
      case 'progress':
        view.pass('all', numberOf(data.passesDone) ?? 0);
        return undefined;
      case 'partial_image': {
        const imageIndex = numberOf(data.imageIndex) ?? 0;
        view.pass(imageIndex, numberOf(data.pass) ?? (numberOf(data.partialImageIndex) ?? 0) + 1);
        return undefined;
      }
      case 'requeued':
        status = 'queued';
        view.requeued(numberOf(data.resumeAfterPass) ?? 0, String(data.reason ?? 'worker lost'));
        return undefined;
      case 'completed':
        return { job: first, images: numberOf(data.images) ?? 0 };
      case 'failed': {
        const category = typeof data.category === 'string' ? `, category ${data.category}` : '';
        const message = `Job ${id} failed: ${String(data.message ?? 'unknown error')} (${String(data.code ?? 'failed')}${category})`;
        // A client error (a moderation block, an undecodable upload) is a refusal, not a server failure.
        throw data.clientError === true ? new RefusedError(message) : new FailedError(message);
      }
      case 'cancelled':
        throw new FailedError(`Job ${id} was cancelled.`);
      default:
        return undefined;
    }
  }
}

/** Cancels the job on the server; an already finished job (409) is not an error here. */
export async function cancelJob(client: LumenClient, id: string): Promise<JobObject | undefined> {
  try {
    return jobObjectSchema.parse(await client.json('POST', `/v1/images/jobs/${encodeURIComponent(id)}/cancel`));
  } catch (error) {
    if (error instanceof RefusedError) return undefined;
    throw error;
  }
}

export interface SavedImage {
  index: number;
  image_id: string;
  path: string;
  bytes: number;
  content_type: string;
}

const EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };

/** A short, file-name-safe version of a prompt. */
export function slugOf(prompt: string): string {
  const slug = prompt
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return slug || 'image';
}

/** Downloads every image of a finished job into `dir` as `<prompt slug>-<image id>.<ext>`. */
export async function saveImages(client: LumenClient, jobId: string, count: number, dir: string, prompt: string, signal?: AbortSignal): Promise<SavedImage[]> {
  await mkdir(dir, { recursive: true });
  const saved: SavedImage[] = [];
  for (let index = 0; index < count; index++) {
    const response = await client.request('GET', `/v1/images/jobs/${encodeURIComponent(jobId)}/images/${index}`, { signal });
    const contentType = (response.headers.get('content-type') ?? 'image/png').split(';')[0]!.trim();
    const bytes = Buffer.from(await response.arrayBuffer());
    saved.push(await writeImage(dir, prompt, imageIdOf(jobId, index), index, contentType, bytes));
  }
  return saved;
}

export async function writeImage(dir: string, prompt: string, imageId: string, index: number, contentType: string, bytes: Buffer): Promise<SavedImage> {
  const path = join(dir, `${slugOf(prompt)}-${imageId}.${EXTENSIONS[contentType] ?? 'bin'}`);
  await writeFile(path, bytes);
  return { index, image_id: imageId, path, bytes: bytes.byteLength, content_type: contentType };
}
