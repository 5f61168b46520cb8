// What a job carries, what a lease hands out and what a worker reports back:
// the internal API between the gateway and origin workers. The gateway
// validates every body it receives with these schemas; both sides use the types.
import { z } from 'zod';
import { inputFidelitySchema, moderationLevelSchema, outputFormatSchema, qualitySchema, renderedBackgroundSchema } from './images.js';
import { TIERS } from './tiers.js';

/** The longest a lease call may be held open; below common proxy idle timeouts. */
export const MAX_LEASE_WAIT_MS = 25_000;

/** The most jobs one lease or completion call may carry: a worker's slots. */
export const MAX_JOBS_PER_CALL = 64;

/** What a client asked for, after validation at the gateway: what every stage of the pipeline renders from. */
export const renderSettingsSchema = z.object({
  prompt: z.string(),
  /** How many images the job makes. */
  n: z.number().int().min(1),
  width: z.number().int().min(1),
  height: z.number().int().min(1),
  quality: qualitySchema,
  outputFormat: outputFormatSchema,
  /** 0–100, for jpeg and webp. */
  outputCompression: z.number().int().min(0).max(100),
  /** The seed of image 0; image i uses `seed + i`. */
  seed: z.number().int().min(0),
  /**
   * How strict content checks are, as in the OpenAI API (default `auto`).
   * `low` relaxes only what a safety stage marks relaxable. Absent on jobs queued before it existed.
   */
  moderation: moderationLevelSchema.optional(),
  /**
   * `transparent`: the scene's background is rendered with alpha 0 (png and webp only).
   * Absent on jobs queued before it existed, which are opaque.
   */
  background: renderedBackgroundSchema.optional(),
});
export type RenderSettings = z.infer<typeof renderSettingsSchema>;

/** A token grid as a checkpoint stores it: Int32 tokens, little-endian, base64. */
export const checkpointGridSchema = z.object({
  rows: z.number().int().min(1).max(1024),
  cols: z.number().int().min(1).max(1024),
  codebookSize: z.number().int().min(1),
  tokensBase64: z.string().max(8 * 1024 * 1024),
  /** The tokenizer's note of what the grid depicts (TokenGrid.scene), when it left one. */
  scene: z.string().max(256 * 1024).optional(),
  /** TokenGrid.alpha, one byte per cell, base64, when the grid has one (transparent jobs). */
  alphaBase64: z.string().max(2 * 1024 * 1024).optional(),
});
export type CheckpointGrid = z.infer<typeof checkpointGridSchema>;

/** The origin's state after its last finished pass: enough to resume at the next pass. */
export const checkpointSchema = z.object({
  passesDone: z.number().int().min(0),
  /** One grid per image of the job, in image order. */
  grids: z.array(checkpointGridSchema),
});
export type Checkpoint = z.infer<typeof checkpointSchema>;

export const editSourceSchema = z.object({
  imageId: z.string(),
  prompt: z.string(),
  /** The seed that image was rendered with. */
  seed: z.number().int(),
  grid: checkpointGridSchema,
});
export type EditSource = z.infer<typeof editSourceSchema>;

/** An edit's inputs. Exactly one of `uploadKeys` (non-empty) and `source` is given. */
export const editParamsSchema = z.object({
  /** R2 keys of the uploaded images in upload order; the first is the canvas, the rest are references. */
  uploadKeys: z.array(z.string()),
  /** R2 key of the uploaded mask (alpha 0 = editable), when one was sent. */
  maskKey: z.string().nullable(),
  /** An earlier output of the same tenant (`image_id`): its tokens and prompt are reused, nothing is encoded. */
  source: editSourceSchema.nullable(),
  /** OpenAI's `input_fidelity`, handed to tokenizers; the default pack keeps unchanged regions exact at either level. */
  inputFidelity: inputFidelitySchema,
  /** A variation (`/v1/images/variations`): the source re-rendered with a fresh seed; the prompt is empty. */
  variation: z.boolean().optional(),
});
export type EditParams = z.infer<typeof editParamsSchema>;

/** Validated generation parameters, as stored on the job. */
export const generationParamsSchema = renderSettingsSchema.extend({
  /** The model pack the request's `model` resolved to, for origins that route on it. Absent on jobs queued before it existed. */
  model: z.string().optional(),
  /** Previews to stream before the final image (0–3), as OpenAI's `partial_images`. */
  partialImages: z.number().int().min(0).max(3),
  /** Set for `/v1/images/edits`: what to edit. */
  edit: editParamsSchema.optional(),
});
export type GenerationParams = z.infer<typeof generationParamsSchema>;

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const storedImageSchema = z.object({ index: z.number().int().min(0), key: z.string(), contentType: z.string(), bytes: z.number().int() });
export type StoredImage = z.infer<typeof storedImageSchema>;

export const usageSchema = z.object({
  /** Text and image tokens read. */
  inputTokens: z.number().int().min(0),
  outputTokens: z.number().int().min(0),
  /** Of `inputTokens`, the image tokens: an edit's source grid. Absent on results reported before it existed. */
  inputImageTokens: z.number().int().min(0).optional(),
});

export type Usage = z.infer<typeof usageSchema>;

export const jobResultSchema = z.object({ images: z.array(storedImageSchema), usage: usageSchema });
export type JobResult = z.infer<typeof jobResultSchema>;

/** Where and why the safety system stopped a job. */
export const moderationBlockSchema = z.object({
  /** `input`: the prompt, before tokenization; `output`: a rendered pass. */
  stage: z.enum(['input', 'output']),
  category: z.string().max(128),
  /** The pass that was blocked (0 for input). */
  pass: z.number().int().min(0),
  /** Passes the abort spared (not rendered). */
  passesSkipped: z.number().int().min(0),
});
export type ModerationBlock = z.infer<typeof moderationBlockSchema>;

export const jobErrorSchema = z.object({
  message: z.string().max(2000),
  code: z.string().max(64),
  /** True when the client's request caused it (maps to a 4xx), false for infrastructure failures. */
  clientError: z.boolean(),
  /** Set when the safety system blocked the job. */
  moderation: moderationBlockSchema.optional(),
});
export type JobError = z.infer<typeof jobErrorSchema>;

export const leasedJobSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  tier: z.enum(TIERS),
  leaseId: z.string(),
  attempt: z.number().int(),
  leaseTtlMs: z.number().int(),
  params: generationParamsSchema,
  passesDone: z.number().int().min(0),
  checkpoint: checkpointSchema.nullable(),
  /** W3C traceparent of the job's trace, which the gateway started or continued from the client's. */
  traceparent: z.string().max(128).nullish(),
});
export type LeasedJob = z.infer<typeof leasedJobSchema>;

export const leaseRequestSchema = z.object({
  workerId: z.string().min(1).max(128),
  /** Free slots: the most jobs this call may hand out (a worker asks for all it has free, so one call can fill them). */
  slots: z.number().int().min(1).max(MAX_JOBS_PER_CALL),
  /** How long to hold the call open when no work is queued (ms). */
  waitMs: z.number().int().min(0).max(MAX_LEASE_WAIT_MS).default(0),
  /** Of those slots, the most that may take free-tier jobs; the rest wait for paid work. Default: all. */
  maxFree: z.number().int().min(0).max(MAX_JOBS_PER_CALL).optional(),
  /**
   * One random id per worker process. A worker that drains says so (`POST /internal/depart`),
   * and from then on no lease call of its session is handed a job, not even one still open.
   */
  session: z.string().min(1).max(128).optional(),
  /** All the worker's slots, busy or not: how the gateway lists it and sizes the fleet (GET /v1/admin/workers, /capacity). */
  capacity: z.number().int().min(1).max(MAX_JOBS_PER_CALL).optional(),
  /**
   * Hand out no job of these tenants. A worker whose slots are all busy asks
   * this way, with the tenants it is running, for its light slot: one more
   * job, of a tenant it is not running (docs/ARCHITECTURE.md, "Light slot").
   */
  exceptTenants: z.array(z.string().min(1).max(128)).max(MAX_JOBS_PER_CALL).optional(),
});
/** What a worker sends (`waitMs` may be left out); the gateway sees it with the default applied. */
export type LeaseRequest = z.input<typeof leaseRequestSchema>;

export const departRequestSchema = z.object({ session: z.string().min(1).max(128) });
export type DepartRequest = z.infer<typeof departRequestSchema>;

export const leaseResponseSchema = z.object({
  jobs: z.array(leasedJobSchema),
  /** An admin drained this worker (POST /v1/admin/workers/:id/drain): lease no more, finish the jobs held, and leave. */
  drain: z.boolean().optional(),
});
export type LeaseResponse = z.infer<typeof leaseResponseSchema>;

export const heartbeatRequestSchema = z.object({ leaseId: z.string(), passesDone: z.number().int().min(0), checkpoint: checkpointSchema.optional() });
export type HeartbeatRequest = z.infer<typeof heartbeatRequestSchema>;

export const heartbeatResponseSchema = z.object({
  /** False when the lease is gone (expired, cancelled, or taken by another worker): stop work. */
  keep: z.boolean(),
});
export type HeartbeatResponse = z.infer<typeof heartbeatResponseSchema>;

export const completeRequestSchema = z.object({ leaseId: z.string(), images: z.array(storedImageSchema).min(1), usage: usageSchema });
export type CompleteRequest = z.infer<typeof completeRequestSchema>;

/** `POST /internal/complete`: several finished jobs in one call, each fenced by its own lease. */
export const completeBatchRequestSchema = z.object({
  completions: z.array(completeRequestSchema.extend({ jobId: z.string().min(1) })).min(1).max(MAX_JOBS_PER_CALL),
});
export type CompleteBatchRequest = z.infer<typeof completeBatchRequestSchema>;
export type Completion = CompleteBatchRequest['completions'][number];

/** The most bytes one finished image may have, whether uploaded alone or inside a completion. */
export const MAX_IMAGE_BYTES = 40 * 1024 * 1024;

/**
 * The most bytes one `POST /internal/complete` body may have. The gateway holds the body twice while it parses it
 * (signed as one buffer, then split into parts), and a Worker's 128 MB are shared by every request its isolate is
 * answering, so a completion stays small: 16 MiB holds a batch of 8 large PNGs. A job whose images do not fit (an
 * image can be up to MAX_IMAGE_BYTES) goes by single-image PUTs and a JSON completion instead.
 */
export const MAX_COMPLETE_BODY_BYTES = 16 * 1024 * 1024;

/** The multipart part of `POST /internal/complete` that holds the JSON completions (`completeMultipartSchema`). */
export const COMPLETIONS_PART = 'completions';

/** A finished image carried in the completion's own body: `part` names the file part holding its bytes. */
export const inlineImageSchema = z.object({
  index: z.number().int().min(0),
  format: outputFormatSchema,
  part: z.string().min(1).max(128),
});
export type InlineImage = z.infer<typeof inlineImageSchema>;

/**
 * `POST /internal/complete` as `multipart/form-data`: the `completions` part holds this JSON, and each image's bytes
 * are the file part it names. The gateway checks every lease, stores the images of the jobs whose lease holds under
 * that lease's prefix, and completes them; results are as for the JSON form.
 */
export const completeMultipartSchema = z.object({
  completions: z
    .array(z.object({ jobId: z.string().min(1), leaseId: z.string(), images: z.array(inlineImageSchema).min(1), usage: usageSchema }))
    .min(1)
    .max(MAX_JOBS_PER_CALL),
});
export type CompleteMultipart = z.infer<typeof completeMultipartSchema>;
export type InlineCompletion = CompleteMultipart['completions'][number];

/** One job's outcome in a batched completion; a refused one carries the code a single call's 404/409 would. */
export const completionResultSchema = z.discriminatedUnion('ok', [
  z.object({ jobId: z.string(), ok: z.literal(true) }),
  z.object({ jobId: z.string(), ok: z.literal(false), code: z.enum(['unknown_job', 'stale_lease']), message: z.string() }),
]);
export type CompletionResult = z.infer<typeof completionResultSchema>;

export const completeBatchResponseSchema = z.object({ results: z.array(completionResultSchema) });
export type CompleteBatchResponse = z.infer<typeof completeBatchResponseSchema>;

export const failRequestSchema = z.object({
  leaseId: z.string(),
  error: jobErrorSchema,
  /** True to put the job back in the queue (counts as an attempt). */
  retryable: z.boolean(),
});
export type FailRequest = z.infer<typeof failRequestSchema>;
