// The bodies of the public routes that protocol/openai.ts does not cover:
// signup, moderations, provenance, webhooks, job event streams, health.
// The routes validate and answer with these; /openapi.json is generated from them.
import { z } from 'zod';
import { errorBodySchema } from './openai.js';

/** POST /v1/signup. */
export const signupRequestSchema = z
  .object({
    email: z.string().trim().email('email must be an email address').max(254).optional(),
    name: z.string().trim().min(1).max(64).optional(),
  })
  .strict();

export const signupResponseSchema = z.object({
  tenant: z.string(),
  /** The tenant's API key; shown once. */
  key: z.string(),
  tier: z.literal('free'),
});
export type SignupResponse = z.infer<typeof signupResponseSchema>;

/** Longest string (or multimodal input's text, joined) one moderation result may cover: a prompt's limit. */
export const MAX_MODERATION_INPUT_CHARS = 32_000;
/** Most strings one moderation call may classify. */
export const MAX_MODERATION_INPUTS = 32;

/** OpenAI's moderation models; every one is answered by the deployment's policy engine. */
export const MODERATION_MODELS = ['omni-moderation-latest', 'omni-moderation-2024-09-26', 'text-moderation-latest', 'text-moderation-stable', 'text-moderation-007'] as const;

export const moderationTextPartSchema = z.object({ type: z.literal('text'), text: z.string().max(MAX_MODERATION_INPUT_CHARS) }).strict();
/** Accepted by shape so it can be refused by name (`unsupported_input_type`): only text is moderated. */
export const moderationImagePartSchema = z.object({ type: z.literal('image_url'), image_url: z.object({ url: z.string() }) }).strict();

/**
 * POST /v1/moderations. The route checks `input` itself, part by part, to name the
 * offending `param`; this schema says which shapes it takes.
 */
export const moderationRequestSchema = z
  .object({
    input: z.union([
      z.string().max(MAX_MODERATION_INPUT_CHARS),
      z.array(z.string().max(MAX_MODERATION_INPUT_CHARS)).min(1).max(MAX_MODERATION_INPUTS),
      z.array(z.union([moderationTextPartSchema, moderationImagePartSchema])).min(1).max(MAX_MODERATION_INPUTS),
    ]),
    model: z.enum(MODERATION_MODELS).optional(),
  })
  .strict();

/** One moderation result over the given categories (OpenAI's, then Lumen's own). */
export function moderationResultSchemaOf(categories: readonly string[]) {
  const each = <T extends z.ZodTypeAny>(value: T) => z.object(Object.fromEntries(categories.map((category) => [category, value])) as Record<string, T>);
  return z.object({
    flagged: z.boolean(),
    categories: each(z.boolean()),
    category_scores: each(z.number().min(0).max(1)),
    category_applied_input_types: each(z.array(z.literal('text'))),
  });
}

/** The answer of POST /v1/moderations over the given categories. */
export function moderationResponseSchemaOf(categories: readonly string[]) {
  return z.object({
    id: z.string(),
    model: z.enum(MODERATION_MODELS),
    results: z.array(moderationResultSchemaOf(categories)),
    /** Lumen extension: the base policy version that answered. */
    policy_version: z.number().int(),
  });
}
export type ModerationResponse = z.infer<ReturnType<typeof moderationResponseSchemaOf>>;

/** POST /v1/provenance/verify: did this service make the image, and (for its owner only) the signed record. */
export const provenanceVerificationSchema = z.object({
  object: z.literal('provenance.verification'),
  made_by_lumen: z.boolean(),
  /** `exact`: the very bytes delivered; `watermark`: found by its mark; `none`. */
  match: z.enum(['exact', 'watermark', 'none']),
  watermark: z.object({ detected: z.boolean(), confidence: z.number().optional(), scale: z.number().optional() }),
  /** Shown only to the tenant that owns the job. */
  record: z
    .object({
      job_id: z.string(),
      image_index: z.number().int(),
      created_at: z.number().int(),
      model: z.string(),
      plugins: z.array(z.object({ name: z.string(), kind: z.string() })),
      key_id: z.string(),
      signature_valid: z.boolean(),
      sha256_matches: z.boolean(),
    })
    .optional(),
});
export type ProvenanceVerification = z.infer<typeof provenanceVerificationSchema>;

/** GET /.well-known/lumen-provenance.json: the Ed25519 keys records are signed with, and the C2PA trust anchor. */
export const provenanceKeysSchema = z.object({
  issuer: z.string(),
  algorithm: z.literal('Ed25519'),
  record_format: z.string(),
  keys: z.array(z.object({ kid: z.string(), kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string(), alg: z.literal('EdDSA'), created_at: z.number().int() })),
  c2pa: z.object({ trust_anchors: z.array(z.string()) }).optional(),
});
export type ProvenanceKeys = z.infer<typeof provenanceKeysSchema>;

/** GET /v1/webhooks/secret. */
export const webhookSecretSchema = z.object({
  secret: z.string().startsWith('whsec_'),
  scheme: z.literal('standard-webhooks'),
  headers: z.array(z.string()),
});
export type WebhookSecret = z.infer<typeof webhookSecretSchema>;

export const healthSchema = z.object({ ok: z.literal(true) });

/** The last event of an image stream whose job failed while rendering: the OpenAI error object. */
export const streamErrorEventSchema = errorBodySchema.extend({ type: z.literal('error') });
export type StreamErrorEvent = z.infer<typeof streamErrorEventSchema>;

// GET /v1/images/jobs/:id/events: the data of each event. Every one names its job and time.
const jobEventBase = { job_id: z.string(), created_at: z.number().int() };

/** The data of each event of a job's own stream, by event name. */
export const jobStreamEventSchemas = {
  queued: z.object(jobEventBase),
  leased: z.object({ ...jobEventBase, attempt: z.number().int(), resumeAfterPass: z.number().int().min(0) }),
  progress: z.object({ ...jobEventBase, passesDone: z.number().int().min(0) }),
  partial_image: z.object({
    ...jobEventBase,
    /** Signed URL of the stored preview. */
    url: z.string(),
    pass: z.number().int().min(0),
    imageIndex: z.number().int().min(0),
    partialImageIndex: z.number().int().min(0),
  }),
  requeued: z.object({ ...jobEventBase, reason: z.string(), attempt: z.number().int(), resumeAfterPass: z.number().int().min(0), attemptSpent: z.boolean() }),
  completed: z.object({ ...jobEventBase, images: z.number().int().min(1) }),
  failed: z.object({
    ...jobEventBase,
    message: z.string(),
    code: z.string(),
    clientError: z.boolean(),
    moderationStage: z.enum(['input', 'output']).optional(),
    category: z.string().optional(),
    pass: z.number().int().optional(),
    passesSkipped: z.number().int().optional(),
  }),
  cancelled: z.object({ ...jobEventBase, afterPass: z.number().int().min(0) }),
} as const;
export type JobStreamEventName = keyof typeof jobStreamEventSchemas;

/** The body of a webhook delivery (Standard Webhooks), POSTed to a job's `webhook_url` when it ends. */
export const webhookEventSchema = z.object({
  type: z.enum(['image.generation.succeeded', 'image.generation.failed', 'image.generation.cancelled']),
  /** ISO 8601. */
  timestamp: z.string(),
  data: z.object({
    id: z.string(),
    status: z.enum(['succeeded', 'failed', 'cancelled']),
    error: z.object({ message: z.string(), code: z.string() }).passthrough().nullable(),
    /** How many images the job made. */
    images: z.number().int().min(0),
  }),
});
export type WebhookEvent = z.infer<typeof webhookEventSchema>;
