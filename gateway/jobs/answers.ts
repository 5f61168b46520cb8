// How a job is answered, the same for generations and edits: its public view,
// the finished OpenAI body, its error, and the SSE stream of its events.
import type { Context } from 'hono';
import type { SSEStreamingApi } from 'hono/streaming';
import { encodeBase64 } from 'hono/utils/encode';
import type { AppEnv } from '../env.js';
import { ApiError, ConflictError, GenerationFailedError, GenerationRejectedError, InvalidRequestError } from '../errors.js';
import type { JobView, QueueShard } from '../objects/queue-shard.js';
import { signImageUrl } from '../signed-urls.js';
import { previewDimensions, resolveQuality } from '../../protocol/images.js';
import type { GenerationParams, JobError } from '../../protocol/jobs.js';
import type { CompletedEvent, GenerationRequest, ImagesResponse, ImagesUsage, JobObject, PartialImageEvent, RequeuedEvent, StreamKind } from '../../protocol/openai.js';
import { imageIdOf } from './image-id.js';

const INPUT_ERROR_CODES = new Set(['invalid_image', 'invalid_mask', 'image_too_large', 'image_too_many_pixels']);

export function errorOf(job: JobView): ApiError {
  const error: JobError = job.error ?? { message: `The job ended as ${job.status}.`, code: job.status, clientError: false };
  if (job.status === 'cancelled') return new ConflictError(error.message, 'job_cancelled');
  if (!error.clientError) return new GenerationFailedError(error.message);
  // An upload the origin could not decode is a bad request like any other, not a generation refusal.
  if (INPUT_ERROR_CODES.has(error.code)) return new InvalidRequestError(error.message, error.code === 'invalid_mask' ? 'mask' : 'image', error.code);
  return new GenerationRejectedError(error.message, error.code, error.moderation);
}

export async function publicJob(c: Context<AppEnv>, job: JobView, estimatedWaitMs?: number): Promise<JobObject> {
  const origin = new URL(c.req.url).origin;
  return {
    id: job.id,
    object: 'image.generation.job',
    status: job.status,
    queue_position: job.queuePosition,
    estimated_wait_seconds: estimatedWaitMs === undefined ? undefined : Math.ceil(estimatedWaitMs / 1000),
    passes_done: job.passesDone,
    attempt: job.attempt,
    created_at: Math.floor(job.createdAt / 1000),
    error: job.error && { message: job.error.message, code: job.error.code },
    trace_id: job.traceId,
    data: job.result ? await Promise.all(job.result.images.map(async (image) => ({ url: await signImageUrl(c.env, origin, image.key) }))) : null,
    urls: {
      get: `${origin}/v1/images/jobs/${job.id}`,
      events: `${origin}/v1/images/jobs/${job.id}/events`,
      cancel: `${origin}/v1/images/jobs/${job.id}/cancel`,
    },
  };
}

export function accepted(c: Context<AppEnv>, body: JobObject, estimatedWaitMs: number): Response {
  c.header('Location', `/v1/images/jobs/${body.id}`);
  c.header('Retry-After', String(Math.min(3600, Math.max(1, Math.ceil(estimatedWaitMs / 1000)))));
  return c.json(body, 202);
}

export async function finishedResponse(c: Context<AppEnv>, job: JobView, responseFormat: GenerationRequest['response_format']): Promise<Response> {
  if (job.status !== 'succeeded' || !job.result) throw errorOf(job);
  const origin = new URL(c.req.url).origin;
  const data = await Promise.all(
    job.result.images.map(async (image) => {
      // Lumen extension: the id to edit this output by (`image_id` on /v1/images/edits).
      const imageId = imageIdOf(job.id, image.index);
      if (responseFormat === 'url') return { url: await signImageUrl(c.env, origin, image.key), image_id: imageId };
      const object = await c.env.IMAGES.get(image.key);
      if (!object) throw new Error(`image ${image.key} of job ${job.id} is missing from R2`);
      return { b64_json: encodeBase64(await object.arrayBuffer()), image_id: imageId };
    }),
  );
  return c.json<ImagesResponse>({ created: Math.floor(job.updatedAt / 1000), data, ...renderedOf(job.params), usage: usageOf(job) });
}

/** What the job renders, `auto` settled (jobs queued before params carried settled values are resolved here). */
function renderedOf(params: GenerationParams): Pick<ImagesResponse, 'size' | 'quality' | 'background' | 'output_format'> {
  return {
    size: `${params.width}x${params.height}`,
    quality: resolveQuality(params.quality),
    background: params.background ?? 'opaque',
    output_format: params.outputFormat,
  };
}

/** A partial image is a small WebP (origin-gpu/pipeline/previews.ts): its event says so. */
function previewOf(params: GenerationParams): Pick<PartialImageEvent, 'size' | 'output_format'> {
  const [width, height] = previewDimensions(params.width, params.height);
  return { size: `${width}x${height}`, output_format: 'webp' };
}

function usageOf(job: JobView): ImagesUsage {
  const { inputTokens, outputTokens, inputImageTokens = 0 } = job.result?.usage ?? { inputTokens: 0, outputTokens: 0 };
  return {
    input_tokens: inputTokens,
    output_tokens: outputTokens,
    total_tokens: inputTokens + outputTokens,
    input_tokens_details: { text_tokens: inputTokens - inputImageTokens, image_tokens: inputImageTokens },
  };
}

/**
 * Streams a job in the event format of OpenAI's image streaming, which the official SDK parses.
 * When the job's worker is lost and the job is requeued, the stream stays open:
 * a Lumen `<kind>.requeued` event says so, then the resumed attempt's passes follow.
 * The official SDK yields events of types it does not know as they are, without throwing.
 */
export async function streamGeneration(c: Context<AppEnv>, shard: DurableObjectStub<QueueShard>, job: JobView, stream: SSEStreamingApi): Promise<void> {
  const { params } = job;
  const common = renderedOf(params);
  const tenantId = c.get('tenant').id;
  // Edits stream under OpenAI's image_edit.* names, generations under image_generation.*.
  const kind: StreamKind = params.edit ? 'image_edit' : 'image_generation';
  let after = 0;
  for (;;) {
    const batch = await shard.events(job.id, tenantId, after, 15_000);
    if (!batch) return;
    if (batch.events.length === 0) {
      await stream.write(': keep-alive\n\n');
      continue;
    }
    for (const event of batch.events) {
      after = event.seq;
      if (event.type === 'requeued') {
        await stream.writeSSE({
          event: `${kind}.requeued`,
          data: JSON.stringify({
            type: `${kind}.requeued`,
            job_id: job.id,
            attempt: Number(event.data.attempt),
            resume_from_pass: Number(event.data.resumeAfterPass),
            attempt_spent: event.data.attemptSpent !== false,
            reason: String(event.data.reason),
            created_at: Math.floor(event.createdAt / 1000),
          } satisfies RequeuedEvent),
        });
      } else if (event.type === 'partial_image') {
        // Each (image, partial index) is in the job's events once, whatever attempt rendered it (QueueShard.recordPreview).
        const object = await c.env.IMAGES.get(String(event.data.key));
        if (!object) continue;
        await stream.writeSSE({
          event: `${kind}.partial_image`,
          data: JSON.stringify({
            type: `${kind}.partial_image`,
            b64_json: encodeBase64(await object.arrayBuffer()),
            created_at: Math.floor(event.createdAt / 1000),
            partial_image_index: Number(event.data.partialImageIndex),
            image_index: Number(event.data.imageIndex),
            ...common,
            ...previewOf(params),
          } satisfies PartialImageEvent),
        });
      } else if (event.type === 'completed' || event.type === 'failed' || event.type === 'cancelled') {
        const finished = await shard.get(job.id, tenantId);
        if (finished?.status === 'succeeded' && finished.result) {
          for (const image of finished.result.images) {
            const object = await c.env.IMAGES.get(image.key);
            if (!object) continue;
            await stream.writeSSE({
              event: `${kind}.completed`,
              data: JSON.stringify({
                type: `${kind}.completed`,
                b64_json: encodeBase64(await object.arrayBuffer()),
                image_id: imageIdOf(finished.id, image.index),
                image_index: image.index,
                created_at: Math.floor(finished.updatedAt / 1000),
                usage: usageOf(finished),
                ...common,
              } satisfies CompletedEvent),
            });
          }
        } else if (finished) {
          await stream.writeSSE({ event: 'error', data: JSON.stringify({ type: 'error', ...errorOf(finished).toBody() }) });
        }
        return;
      }
    }
  }
}
