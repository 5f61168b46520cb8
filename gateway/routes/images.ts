import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { encodeBase64 } from 'hono/utils/encode';
import { z } from 'zod';
import { numberVar, type AppEnv } from '../env.js';
import {
  GenerationFailedError,
  GenerationRejectedError,
  InvalidRequestError,
  NotFoundError,
  PayloadTooLargeError,
} from '../errors.js';
import { apiKeyAuth } from '../middleware/auth.js';
import type { JobView } from '../objects/queue-shard.js';
import type { GenerationParams } from '../protocol/jobs.js';
import { newJobId, shardCount, shardForJob } from '../queue.js';

/** JSON bodies above this are refused before they are buffered. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

const SIZES = {
  '1024x1024': [1024, 1024],
  '1536x1024': [1536, 1024],
  '1024x1536': [1024, 1536],
  '512x512': [512, 512],
  '256x256': [256, 256],
} as const satisfies Record<string, readonly [number, number]>;
type Size = keyof typeof SIZES;

const generationRequest = z
  .object({
    prompt: z.string({ required_error: 'prompt is required.' }).trim().min(1, 'prompt must not be empty.').max(32_000),
    model: z.string().max(64).optional(),
    n: z.number().int().min(1).max(10).default(1),
    size: z.enum(['auto', ...(Object.keys(SIZES) as [Size, ...Size[]])]).default('auto'),
    quality: z.enum(['auto', 'low', 'medium', 'high']).default('auto'),
    output_format: z.enum(['png', 'jpeg', 'webp']).default('png'),
    output_compression: z.number().int().min(0).max(100).default(100),
    response_format: z.enum(['b64_json']).default('b64_json'),
    background: z.enum(['auto', 'opaque']).optional(),
    moderation: z.enum(['auto', 'low']).optional(),
    user: z.string().max(256).optional(),
    /** Lumen extension: the same seed and parameters give the same bytes. */
    seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
  })
  .strict();

type GenerationRequest = z.infer<typeof generationRequest>;

function toParams(body: GenerationRequest): GenerationParams {
  const [width, height] = SIZES[body.size === 'auto' ? '1024x1024' : body.size];
  return {
    prompt: body.prompt,
    n: body.n,
    width,
    height,
    quality: body.quality,
    outputFormat: body.output_format,
    outputCompression: body.output_compression,
    seed: body.seed ?? crypto.getRandomValues(new Uint32Array(1))[0]! >>> 1,
  };
}

async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!type.toLowerCase().includes('application/json')) {
    throw new InvalidRequestError('Send the request body as JSON with "Content-Type: application/json".');
  }
  try {
    return await c.req.json();
  } catch {
    throw new InvalidRequestError('The request body is not valid JSON.');
  }
}

function parseGeneration(raw: unknown): GenerationRequest {
  const parsed = generationRequest.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const param = issue.path.join('.') || null;
  if (issue.code === 'unrecognized_keys') {
    throw new InvalidRequestError(`Unrecognized request argument supplied: ${issue.keys.join(', ')}`, issue.keys[0] ?? null);
  }
  if (issue.code === 'invalid_type' && issue.received === 'undefined') {
    throw new InvalidRequestError(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
  }
  throw new InvalidRequestError(`Invalid '${param ?? 'body'}': ${issue.message}`, param, 'invalid_value');
}

function publicJob(job: JobView) {
  return {
    id: job.id,
    object: 'image.generation.job',
    status: job.status,
    queue_position: job.queuePosition,
    passes_done: job.passesDone,
    attempt: job.attempt,
    created_at: Math.floor(job.createdAt / 1000),
    error: job.error && { message: job.error.message, code: job.error.code },
    images: job.result?.images.map((image) => ({ url: `/v1/images/jobs/${job.id}/images/${image.index}` })) ?? null,
  };
}

export const images = new Hono<AppEnv>();

images.use('*', apiKeyAuth());

images.post(
  '/generations',
  bodyLimit({
    maxSize: MAX_JSON_BODY_BYTES,
    onError: () => {
      throw new PayloadTooLargeError(MAX_JSON_BODY_BYTES);
    },
  }),
  async (c) => {
    const body = parseGeneration(await readJson(c));
    const tenant = c.get('tenant');
    const params = toParams(body);
    const id = newJobId(shardCount(c.env));
    const shard = shardForJob(c, id)!;
    await shard.enqueue({ id, tenantId: tenant.id, tier: tenant.tier, params });

    const job = await shard.waitForJob(id, numberVar(c.env.SYNC_WAIT_MS, 120_000));
    if (!job) throw new Error(`job ${id} vanished from its shard`);
    if (job.status === 'failed' && job.error) {
      throw job.error.clientError
        ? new GenerationRejectedError(job.error.message, job.error.code)
        : new GenerationFailedError(job.error.message);
    }
    if (job.status !== 'succeeded' || !job.result) {
      c.header('Location', `/v1/images/jobs/${id}`);
      c.header('Retry-After', '5');
      return c.json(publicJob(job), 202);
    }

    const data = await Promise.all(
      job.result.images.map(async (image) => {
        const object = await c.env.IMAGES.get(image.key);
        if (!object) throw new Error(`image ${image.key} of job ${id} is missing from R2`);
        return { b64_json: encodeBase64(await object.arrayBuffer()) };
      }),
    );
    const { inputTokens, outputTokens } = job.result.usage;
    return c.json({
      created: Math.floor(job.updatedAt / 1000),
      data,
      background: 'opaque',
      output_format: params.outputFormat,
      quality: params.quality,
      size: `${params.width}x${params.height}`,
      usage: {
        input_tokens: inputTokens,
        output_tokens: outputTokens,
        total_tokens: inputTokens + outputTokens,
        input_tokens_details: { text_tokens: inputTokens, image_tokens: 0 },
      },
    });
  },
);

images.get('/jobs/:id', async (c) => {
  const id = c.req.param('id');
  const job = await shardForJob(c, id)?.get(id, c.get('tenant').id);
  if (!job) throw new NotFoundError(`No job with id '${id}'.`);
  return c.json(publicJob(job));
});

images.get('/jobs/:id/images/:index', async (c) => {
  const id = c.req.param('id');
  const job = await shardForJob(c, id)?.get(id, c.get('tenant').id);
  const image = job?.result?.images.find((candidate) => String(candidate.index) === c.req.param('index'));
  const object = image && (await c.env.IMAGES.get(image.key));
  if (!image || !object) throw new NotFoundError(`No image ${c.req.param('index')} for job '${id}'.`);
  return new Response(object.body, { headers: { 'content-type': image.contentType, 'cache-control': 'private, max-age=3600' } });
});
