// The OpenAI Images API bodies Lumen speaks: the generation request, the edit
// fields, and the answers. Both request schemas extend one base; they differ
// only where JSON and multipart differ (numbers and booleans arrive as strings in a form).
import { z } from 'zod';
import { JOB_STATUSES, type EditParams, type GenerationParams } from './jobs.js';
import {
  ALPHA_FORMATS,
  backgroundSchema,
  DALL_E_QUALITIES,
  DALL_E_SIZES,
  dimensionsOf,
  IMAGE_QUALITIES,
  IMAGE_SIZES,
  imageStyleSchema,
  inputFidelitySchema,
  moderationLevelSchema,
  outputFormatSchema,
  renderedBackgroundSchema,
  renderedQualitySchema,
  resolveBackground,
  resolveQuality,
  type ImageSize,
  type Quality,
} from './images.js';

type IntField = (min: number, max: number) => z.ZodType<number, z.ZodTypeDef, unknown>;

const jsonInt: IntField = (min, max) => z.number().int().min(min).max(max);
const formInt: IntField = (min, max) => z.coerce.number().int().min(min).max(max);
const formBoolean = z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]);

type DallESize = keyof typeof DALL_E_SIZES;
type DallEQuality = keyof typeof DALL_E_QUALITIES;
const isDallESize = (size: string): size is DallESize => Object.hasOwn(DALL_E_SIZES, size);
const isDallEQuality = (quality: string): quality is DallEQuality => Object.hasOwn(DALL_E_QUALITIES, quality);

/** `size` as clients send it, DALL·E 3's sizes mapped to the supported size they render at. */
const requestSizeSchema = z
  .enum(['auto', ...IMAGE_SIZES, ...(Object.keys(DALL_E_SIZES) as DallESize[])])
  .transform((size): ImageSize | 'auto' => (isDallESize(size) ? DALL_E_SIZES[size] : size));

/** `quality` as clients send it, DALL·E's `standard` and `hd` mapped to the quality they render at. */
const requestQualitySchema = z
  .enum([...IMAGE_QUALITIES, ...(Object.keys(DALL_E_QUALITIES) as DallEQuality[])])
  .transform((quality): Quality => (isDallEQuality(quality) ? DALL_E_QUALITIES[quality] : quality));

/** The fields generations and edits share, as OpenAI names them. */
const imageRequestBase = z.object({
  prompt: z.string({ required_error: 'prompt is required.' }).trim().min(1, 'prompt must not be empty.').max(32_000),
  model: z.string().max(64).optional(),
  size: requestSizeSchema.default('auto'),
  quality: requestQualitySchema.default('auto'),
  output_format: outputFormatSchema.default('png'),
  response_format: z.enum(['b64_json', 'url']).default('b64_json'),
  background: backgroundSchema.optional(),
  moderation: moderationLevelSchema.optional(),
  user: z.string().max(256).optional(),
  /** Lumen extension: POST the outcome here (Standard Webhooks). */
  webhook_url: z.string().max(2048).optional(),
});

/** The numeric fields, with their bounds written once for both encodings. */
const numericFields = (int: IntField) => ({
  n: int(1, 10).default(1),
  output_compression: int(0, 100).default(100),
  partial_images: int(0, 3).default(0),
  /** Lumen extension: the same seed and parameters render the same picture. */
  seed: int(0, 2 ** 31 - 1).optional(),
});

/** As OpenAI: a transparent background needs a format with an alpha channel. */
function refuseOpaqueFormatForTransparency(request: { background?: string | undefined; output_format: string }, ctx: z.RefinementCtx): void {
  if (request.background === 'transparent' && !ALPHA_FORMATS.includes(request.output_format as (typeof ALPHA_FORMATS)[number])) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: ['background'],
      message: `a transparent background needs output_format ${ALPHA_FORMATS.join(' or ')}; ${request.output_format} has no alpha channel.`,
    });
  }
}

/** The fields of a generation, without the check across fields (what the OpenAPI document describes). */
export const generationRequestFields = imageRequestBase
  .extend(numericFields(jsonInt))
  .extend({ stream: z.boolean().default(false), style: imageStyleSchema.optional() })
  .strict();

/** POST /v1/images/generations (JSON). */
export const generationRequestSchema = generationRequestFields.superRefine(refuseOpaqueFormatForTransparency);
export type GenerationRequest = z.infer<typeof generationRequestSchema>;

/** The non-file fields of an edit, from a multipart form (strings) or JSON, without the check across fields. */
export const editRequestFields = imageRequestBase
  .extend(numericFields(formInt))
  .extend({
    stream: formBoolean.default(false),
    /** Lumen extension: edit an earlier output by its id instead of uploading it. */
    image_id: z.string().max(128).optional(),
    input_fidelity: inputFidelitySchema.default('high'),
  })
  .strict();

/** POST /v1/images/edits: the non-file fields, from a multipart form (strings) or JSON. */
export const editRequestSchema = editRequestFields.superRefine(refuseOpaqueFormatForTransparency);
export type EditRequest = z.infer<typeof editRequestSchema>;

/** An image of the JSON edit form: `image_url` (a data URL only) or `file_id` (Lumen has no Files API: an `img_…` id). */
const editImageReferenceSchema = z.object({ image_url: z.string().optional(), file_id: z.string().max(128).optional() }).strict();

/** The JSON edit form's fields: gpt-image's `images` and `mask` references, or Lumen's `image_id`. */
export const jsonEditRequestFields = editRequestFields.extend({
  images: z.array(editImageReferenceSchema).min(1, 'images must name at least one image.').optional(),
  mask: editImageReferenceSchema.optional(),
});

/** POST /v1/images/edits as JSON. */
export const jsonEditRequestSchema = jsonEditRequestFields.superRefine(refuseOpaqueFormatForTransparency);
export type JsonEditRequest = z.infer<typeof jsonEditRequestSchema>;

/** The job parameters of a validated request, rendered at `size` by the model pack `model`; a seed is drawn when none was given. */
export function generationParamsOf(request: GenerationRequest | EditRequest, size: ImageSize, model: string, edit?: EditParams): GenerationParams {
  const [width, height] = dimensionsOf(size);
  return {
    model,
    prompt: request.prompt,
    n: request.n,
    width,
    height,
    quality: resolveQuality(request.quality),
    outputFormat: request.output_format,
    outputCompression: request.output_compression,
    seed: request.seed ?? crypto.getRandomValues(new Uint32Array(1))[0]! >>> 1,
    partialImages: request.stream ? request.partial_images : 0,
    moderation: request.moderation ?? 'auto',
    background: resolveBackground(request.background),
    ...(edit ? { edit } : {}),
  };
}

/** OpenAI's `usage` of an images answer. */
export const imagesUsageSchema = z.object({
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  total_tokens: z.number().int(),
  input_tokens_details: z.object({ text_tokens: z.number().int(), image_tokens: z.number().int() }),
});
export type ImagesUsage = z.infer<typeof imagesUsageSchema>;

/** One output of a synchronous answer; `image_id` is Lumen's: the id to edit it by. */
export const imageDataSchema = z.union([
  z.object({ b64_json: z.string(), image_id: z.string() }),
  z.object({ url: z.string(), image_id: z.string() }),
]);

/** The answer of a finished generation or edit (OpenAI's ImagesResponse). */
export const imagesResponseSchema = z.object({
  created: z.number().int(),
  data: z.array(imageDataSchema),
  /** The background rendered: `auto` is answered as what it resolved to. */
  background: renderedBackgroundSchema,
  output_format: outputFormatSchema,
  /** The quality rendered: `auto` is answered as what it resolved to. */
  quality: renderedQualitySchema,
  size: z.string(),
  usage: imagesUsageSchema,
});
export type ImagesResponse = z.infer<typeof imagesResponseSchema>;

/** Streams carry OpenAI's event names: `image_generation.*` for generations, `image_edit.*` for edits. */
export type StreamKind = 'image_generation' | 'image_edit';

/** What every image event of a stream repeats about the job. */
const streamImageFields = {
  size: z.string(),
  quality: renderedQualitySchema,
  background: renderedBackgroundSchema,
  output_format: outputFormatSchema,
};

/**
 * A preview of one pass (`partial_images`). Previews are small WebPs (longest side
 * at most PREVIEW_MAX_SIDE), and `size` and `output_format` describe those bytes, not the final image.
 */
export const partialImageEventSchema = z.object({
  type: z.enum(['image_generation.partial_image', 'image_edit.partial_image']),
  b64_json: z.string(),
  created_at: z.number().int(),
  partial_image_index: z.number().int().min(0),
  /** Lumen extension: which of the `n` images this preview is of (`partial_image_index` counts per image). */
  image_index: z.number().int().min(0),
  ...streamImageFields,
});
export type PartialImageEvent = z.infer<typeof partialImageEventSchema>;

/** One finished image of the job. */
export const completedEventSchema = z.object({
  type: z.enum(['image_generation.completed', 'image_edit.completed']),
  b64_json: z.string(),
  image_id: z.string(),
  /** Lumen extension: which of the `n` images this is, as on its partials. */
  image_index: z.number().int().min(0),
  created_at: z.number().int(),
  usage: imagesUsageSchema,
  ...streamImageFields,
});
export type CompletedEvent = z.infer<typeof completedEventSchema>;

/** Lumen's: the job's worker was lost and the job resumes on another; the SDK passes unknown event types through. */
export const requeuedEventSchema = z.object({
  type: z.enum(['image_generation.requeued', 'image_edit.requeued']),
  job_id: z.string(),
  attempt: z.number().int(),
  resume_from_pass: z.number().int().min(0),
  /** False when the lease never reached a worker, so the attempt was handed back. */
  attempt_spent: z.boolean(),
  reason: z.string(),
  created_at: z.number().int(),
});
export type RequeuedEvent = z.infer<typeof requeuedEventSchema>;

/** OpenAI's error shape, which every error answer uses; subclasses of the gateway's ApiError add fields (e.g. `moderation_stage`). */
export const errorBodySchema = z.object({
  error: z
    .object({ message: z.string(), type: z.string(), param: z.string().nullable(), code: z.string().nullable() })
    .catchall(z.union([z.string(), z.number(), z.null()])),
});
export type OpenAIErrorBody = z.infer<typeof errorBodySchema>;

/** Lumen's job object (`GET /v1/images/jobs/:id`, and the body of a 202): where a deferred request stands. */
export const jobObjectSchema = z.object({
  id: z.string(),
  object: z.literal('image.generation.job'),
  status: z.enum(JOB_STATUSES),
  /** Jobs ahead of this one in lease order, while it is queued. */
  queue_position: z.number().int().nullable(),
  estimated_wait_seconds: z.number().int().optional(),
  passes_done: z.number().int(),
  attempt: z.number().int(),
  created_at: z.number().int(),
  error: z.object({ message: z.string(), code: z.string() }).nullable(),
  /** The W3C trace id the job's spans and log lines share (the client's `traceparent` continued, or a new trace). */
  trace_id: z.string().nullable(),
  /** Signed URLs of the finished images. */
  data: z.array(z.object({ url: z.string() })).nullable(),
  urls: z.object({ get: z.string(), events: z.string(), cancel: z.string() }),
});
export type JobObject = z.infer<typeof jobObjectSchema>;

/** The sizes OpenAI's createVariation takes. */
export const VARIATION_SIZES = ['256x256', '512x512', '1024x1024'] as const;

/** POST /v1/images/variations: the non-file fields of OpenAI's multipart form (strings); no prompt. */
export const variationRequestSchema = z
  .object({
    model: z.string().max(64).optional(),
    n: formInt(1, 10).default(1),
    size: z.enum(VARIATION_SIZES).default('1024x1024'),
    response_format: z.enum(['b64_json', 'url']).default('b64_json'),
    user: z.string().max(256).optional(),
  })
  .strict();
export type VariationRequest = z.infer<typeof variationRequestSchema>;
