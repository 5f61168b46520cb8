// The OpenAPI 3.1 document of the public API, generated from the zod schemas
// the routes validate and answer with (protocol/). Each public route is
// registered here with its request, its answers and its errors. Imports only
// protocol/ and npm packages, so Node tests can build the same document.
// Admin (/v1/admin/*) and worker (/internal/*) routes are left out: they are
// for operators and origins, with their own secrets (docs/API.md).
import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  completedEventSchema,
  editRequestFields,
  errorBodySchema,
  generationRequestFields,
  jsonEditRequestFields,
  imageDataSchema,
  imagesResponseSchema,
  jobObjectSchema,
  partialImageEventSchema,
  requeuedEventSchema,
  variationRequestSchema,
} from '../protocol/openai.js';
import { modelListSchema, modelObjectSchema } from '../protocol/models.js';
import {
  healthSchema,
  jobStreamEventSchemas,
  moderationRequestSchema,
  moderationResponseSchemaOf,
  provenanceKeysSchema,
  provenanceVerificationSchema,
  signupRequestSchema,
  signupResponseSchema,
  streamErrorEventSchema,
  webhookEventSchema,
  webhookSecretSchema,
} from '../protocol/public-api.js';
import { LUMEN_MODERATION_CATEGORIES, OPENAI_MODERATION_CATEGORIES } from '../protocol/safety-policy.js';

extendZodWithOpenApi(z);

/** The key every Lumen extension (a field, parameter, header or whole route OpenAI does not have) carries. */
export const EXTENSION_KEY = 'x-lumen-extension';

/** Fields of OpenAI's own schemas (its published OpenAPI document); any other field of ours is an extension. */
const OPENAI_FIELDS = {
  createImage: ['prompt', 'background', 'model', 'moderation', 'n', 'output_compression', 'output_format', 'partial_images', 'quality', 'response_format', 'size', 'stream', 'style', 'user'],
  createImageEdit: ['image', 'images', 'prompt', 'background', 'input_fidelity', 'mask', 'model', 'n', 'output_compression', 'output_format', 'partial_images', 'quality', 'response_format', 'size', 'stream', 'user'],
  createImageVariation: ['image', 'model', 'n', 'response_format', 'size', 'user'],
  imagesResponse: ['created', 'data', 'background', 'output_format', 'quality', 'size', 'usage'],
  image: ['b64_json', 'url', 'revised_prompt'],
  imageStreamEvent: ['type', 'b64_json', 'created_at', 'size', 'quality', 'background', 'output_format', 'partial_image_index', 'usage'],
  moderation: ['id', 'model', 'results'],
  model: ['id', 'object', 'created', 'owned_by'],
  error: ['message', 'type', 'param', 'code'],
} as const;

/** What Lumen's own fields mean; a field without an entry gets a generic note. */
const EXTENSION_DESCRIPTIONS: Record<string, string> = {
  seed: 'Lumen extension: the same seed and parameters render the same picture (0 to 2^31-1). Drawn at random when left out.',
  webhook_url: 'Lumen extension: POST the outcome here when the job ends (Standard Webhooks; see the webhook `image.generation`).',
  image_id: 'Lumen extension: the id of an output (`img_…`), to edit it by with `image_id` on /v1/images/edits.',
  policy_version: 'Lumen extension: the version of the safety policy that answered.',
  moderation_stage: 'Lumen extension: where the safety system refused the job (`input` or `output`).',
  category: 'Lumen extension: the safety category that refused the job.',
  pass: 'Lumen extension: the decode pass an output block stopped at.',
  pack: 'Lumen extension: the model pack that renders this model (the id itself for a pack).',
};

function extensionNote(field: string): { description: string; [EXTENSION_KEY]: true } {
  return { description: EXTENSION_DESCRIPTIONS[field] ?? 'Lumen extension: not part of the OpenAI API.', [EXTENSION_KEY]: true };
}

/** The schema with every field OpenAI's counterpart lacks marked as a Lumen extension. */
function markExtensions<S extends z.AnyZodObject>(schema: S, openaiFields: readonly string[]): S {
  const marked: z.ZodRawShape = {};
  for (const [name, field] of Object.entries(schema.shape as z.ZodRawShape)) {
    if (!openaiFields.includes(name)) marked[name] = field.openapi(extensionNote(name));
  }
  return schema.extend(marked) as S;
}

/** Marks the keys of an object whose keys are categories: Lumen's own ones are extensions. */
function markCategoryKeys<S extends z.AnyZodObject>(schema: S): S {
  return markExtensions(schema, OPENAI_MODERATION_CATEGORIES);
}

const binaryFile = (description: string) => z.custom<File>((value) => value instanceof File).openapi({ type: 'string', format: 'binary', description });
const lumenRoute = { [EXTENSION_KEY]: true } as const;

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request: a missing, unknown or invalid parameter, named by `param`.',
  401: 'The API key is missing, malformed, revoked or wrong (`invalid_api_key`).',
  403: 'The signed link is invalid or has expired (`url_invalid`, `url_expired`).',
  404: 'No such resource, or it belongs to another tenant (`not_found`).',
  409: 'The job has already ended (`job_finished`), or was cancelled (`job_cancelled`).',
  413: 'The request body is larger than the route accepts (`request_too_large`).',
  422: 'This Idempotency-Key was already used with another body (`idempotency_key_reused`).',
  429: 'A rate limit was hit; `type` names it (`requests`, `reads`, `images`, `concurrent`, `signups`, `auth_failures`). Retry after `Retry-After` seconds.',
  500: 'The server had an error.',
  502: 'The job failed on the GPU origin after every retry (`generation_failed`).',
  503: 'The tier\'s queue is full (`queue_full`), or no origin API answers. Retry after `Retry-After` seconds.',
};

/** What every answer carries, errors and streams included. */
const commonHeaders = z.object({
  'x-request-id': z.string().openapi({ description: "The request's id: the client's own `x-request-id` when short visible ASCII, else `req_…`. The SDKs expose it as `_request_id`." }),
  'openai-processing-ms': z.string().openapi({ description: 'Milliseconds the gateway spent until the answer (for a stream, until its headers).' }),
});
const retryAfterHeader = commonHeaders.extend({ 'Retry-After': z.string().openapi({ description: 'Seconds to wait before retrying.' }) });

/** OpenAI-shaped error answers for the given statuses. */
function errors(...statuses: number[]): Record<string, ResponseConfig> {
  return Object.fromEntries(
    statuses.map((status) => [
      String(status),
      {
        description: STATUS_TEXT[status] ?? 'Error.',
        headers: status === 429 || status === 503 ? retryAfterHeader : commonHeaders,
        content: { 'application/json': { schema: errorBody } },
      } satisfies ResponseConfig,
    ]),
  );
}

const registry = new OpenAPIRegistry();

const errorBody = registry.register(
  'Error',
  errorBodySchema.extend({ error: markExtensions(errorBodySchema.shape.error, OPENAI_FIELDS.error) }).openapi({
    description: "OpenAI's error shape, which every error answer uses. Lumen adds fields for some errors (e.g. `moderation_stage`, `category`).",
  }),
);

registry.registerComponent('securitySchemes', 'apiKey', {
  type: 'http',
  scheme: 'bearer',
  description: 'A tenant API key: `Authorization: Bearer lk_<tenant>_<secret><tag>`.',
});

// Images.
const [base64Image, urlImage] = imageDataSchema.options;
const imageData = z.union([markExtensions(base64Image, OPENAI_FIELDS.image), markExtensions(urlImage, OPENAI_FIELDS.image)]);
const imagesResponse = registry.register('ImagesResponse', markExtensions(imagesResponseSchema, OPENAI_FIELDS.imagesResponse).extend({ data: z.array(imageData) }));
const jobObject = registry.register('ImageJob', jobObjectSchema.openapi({ description: 'Lumen extension: a durable job, as a 202 answers it and GET /v1/images/jobs/{id} shows it.', [EXTENSION_KEY]: true }));
const partialImageEvent = registry.register('ImagePartialImageEvent', markExtensions(partialImageEventSchema, OPENAI_FIELDS.imageStreamEvent));
const completedEvent = registry.register('ImageCompletedEvent', markExtensions(completedEventSchema, OPENAI_FIELDS.imageStreamEvent));
const requeuedEvent = registry.register(
  'ImageRequeuedEvent',
  requeuedEventSchema.openapi({ description: "Lumen extension: the job's worker was lost; the stream stays open and the resumed attempt's events follow.", [EXTENSION_KEY]: true }),
);
const streamErrorEvent = registry.register('ImageStreamErrorEvent', streamErrorEventSchema.extend({ error: errorBodySchema.shape.error }));
const imageStreamEvent = z.union([partialImageEvent, completedEvent, requeuedEvent, streamErrorEvent]).openapi({
  description:
    'Server-sent events: each event\'s `event` field equals its data\'s `type`, and its `data` is one JSON object of one of these shapes. `image_generation.*` for generations, `image_edit.*` for edits; a failure while rendering ends the stream with `error`.',
});

const imageHeaders = commonHeaders.extend({ 'Lumen-Job-Id': z.string().openapi({ description: 'Lumen extension: the job this request made or replayed.', [EXTENSION_KEY]: true }) });
const requestHeaders = z.object({
  'Idempotency-Key': z.string().min(1).max(255).optional().openapi({ description: 'Lumen extension: 1–255 visible ASCII; the same key and body return the same job for 24 h.', [EXTENSION_KEY]: true }),
  Prefer: z.string().optional().openapi({ description: 'Lumen extension (RFC 7240): `respond-async` answers 202 at once; `wait=N` waits at most N seconds (capped at SYNC_WAIT_MS, and for free work at FREE_SYNC_MAX_WAIT_MS), and answers 202 at once when the estimated wait already exceeds that.', [EXTENSION_KEY]: true }),
});

/** The answers a generation, edit or variation can give. */
function imageAnswers(kind: 'image_generation' | 'image_edit'): Record<string, ResponseConfig> {
  return {
    '200': {
      description: `The finished images, or with \`stream: true\` the event stream (\`${kind}.partial_image\`, \`${kind}.completed\`).`,
      headers: imageHeaders,
      content: { 'application/json': { schema: imagesResponse }, 'text/event-stream': { schema: imageStreamEvent } },
    },
    '202': {
      description: 'Lumen extension: the job was deferred (`Prefer: respond-async`, a long free-tier queue, or still running after the sync wait). Poll `Location`.',
      headers: imageHeaders.extend({ Location: z.string(), 'Retry-After': z.string() }),
      content: { 'application/json': { schema: jobObject } },
    },
    ...errors(400, 401, 404, 409, 413, 422, 429, 502, 503),
  };
}

const generationRequest = registry.register('CreateImageRequest', markExtensions(generationRequestFields, OPENAI_FIELDS.createImage));
const editFields = markExtensions(editRequestFields, OPENAI_FIELDS.createImageEdit);
const jsonEditFields = markExtensions(jsonEditRequestFields, [...OPENAI_FIELDS.createImageEdit, 'images', 'mask']);
const editMultipart = registry.register(
  'CreateImageEditMultipartRequest',
  editFields.extend({
    image: z
      .union([binaryFile('PNG, JPEG or WebP, ≤ 25 MB, ≤ 40 megapixels.'), z.array(binaryFile('PNG, JPEG or WebP.')).min(1).max(16)])
      .optional()
      .openapi({ description: 'The image to edit (`image` or `image[]`, 1–16 files; the first is the canvas). Required unless `image_id` is given.' }),
    mask: binaryFile('A PNG with alpha, the size of the first image; alpha 0 marks the area to edit.').optional(),
  }),
);
const editJson = registry.register(
  'CreateImageEditJsonRequest',
  jsonEditFields.openapi({ description: 'The JSON form of an edit: `images` as data URLs (or one `file_id` naming a Lumen `image_id`), an optional `mask`, or `image_id` (Lumen) naming an earlier output.' }),
);

registry.registerPath({
  method: 'post',
  path: '/v1/images/generations',
  tags: ['Images'],
  summary: 'Create an image',
  security: [{ apiKey: [] }],
  request: { headers: requestHeaders, body: { required: true, content: { 'application/json': { schema: generationRequest } } } },
  responses: imageAnswers('image_generation'),
});

registry.registerPath({
  method: 'post',
  path: '/v1/images/edits',
  tags: ['Images'],
  summary: 'Edit an image',
  security: [{ apiKey: [] }],
  request: {
    headers: requestHeaders,
    body: { required: true, content: { 'multipart/form-data': { schema: editMultipart }, 'application/json': { schema: editJson } } },
  },
  responses: imageAnswers('image_edit'),
});

const variationRequest = registry.register(
  'CreateImageVariationRequest',
  markExtensions(variationRequestSchema, OPENAI_FIELDS.createImageVariation).extend({ image: binaryFile('A PNG, JPEG or WebP, ≤ 25 MB, ≤ 40 megapixels.') }),
);
const { '200': finished, ...variationErrorsAndDeferral } = imageAnswers('image_generation');
registry.registerPath({
  method: 'post',
  path: '/v1/images/variations',
  tags: ['Images'],
  summary: 'Create image variations',
  description: "OpenAI's createVariation: the upload's scene re-rendered with each image's seed. Never streamed.",
  security: [{ apiKey: [] }],
  request: { headers: requestHeaders, body: { required: true, content: { 'multipart/form-data': { schema: variationRequest } } } },
  responses: { '200': { ...finished!, description: 'The finished images.', content: { 'application/json': { schema: imagesResponse } } }, ...variationErrorsAndDeferral },
});

// Models.
const modelObject = registry.register('Model', markExtensions(modelObjectSchema, OPENAI_FIELDS.model));
registry.registerPath({
  method: 'get',
  path: '/v1/models',
  tags: ['Models'],
  summary: 'List models',
  description: 'Every model name a request may send: the model packs, then their aliases (OpenAI\'s names included, `LUMEN_MODEL_ALIASES`).',
  security: [{ apiKey: [] }],
  responses: { '200': { description: 'The models.', headers: commonHeaders, content: { 'application/json': { schema: registry.register('ModelList', modelListSchema.extend({ data: z.array(modelObject) })) } } }, ...errors(401, 429) },
});
registry.registerPath({
  method: 'get',
  path: '/v1/models/{model}',
  tags: ['Models'],
  summary: 'Retrieve a model',
  security: [{ apiKey: [] }],
  request: { params: z.object({ model: z.string().openapi({ description: 'A model id or alias; a pack id holds a slash (`lumen/…`), sent as it is or as `%2F`.' }) }) },
  responses: { '200': { description: 'The model.', headers: commonHeaders, content: { 'application/json': { schema: modelObject } } }, ...errors(401, 404, 429) },
});

// Jobs (Lumen).
const jobParams = z.object({ id: z.string().openapi({ description: 'The job id (`job_…`), from `Lumen-Job-Id` or a 202.' }) });
const readHeaders = z.object({
  'x-ratelimit-limit-reads': z.string(),
  'x-ratelimit-remaining-reads': z.string(),
  'x-ratelimit-reset-reads': z.string(),
});

registry.registerPath({
  method: 'get',
  path: '/v1/images/jobs/{id}',
  tags: ['Jobs'],
  summary: 'Get a job',
  description: 'With `Prefer: wait=N` (N ≤ 60) a long poll: held until the job ends or N seconds pass. Spends the read budget.',
  security: [{ apiKey: [] }],
  ...lumenRoute,
  request: { params: jobParams, headers: z.object({ Prefer: z.string().optional() }) },
  responses: { '200': { description: 'The job.', headers: readHeaders, content: { 'application/json': { schema: jobObject } } }, ...errors(401, 404, 429) },
});

const jobEventSchemas = Object.entries(jobStreamEventSchemas).map(([name, schema]) => registry.register(`JobEvent_${name}`, schema.openapi({ description: `The data of a \`${name}\` event.` })));
registry.registerPath({
  method: 'get',
  path: '/v1/images/jobs/{id}/events',
  tags: ['Jobs'],
  summary: "Follow a job's events",
  description: `Server-sent events, each with an \`id\`; \`Last-Event-ID\` (or \`?after=\`) replays from there. Event names: ${Object.keys(jobStreamEventSchemas).map((name) => `\`${name}\``).join(', ')}.`,
  security: [{ apiKey: [] }],
  ...lumenRoute,
  request: {
    params: jobParams,
    query: z.object({ after: z.string().regex(/^\d+$/).optional().openapi({ description: 'Replay the events after this id.' }) }),
    headers: z.object({ 'Last-Event-ID': z.string().optional() }),
  },
  responses: {
    '200': {
      description: "The job's events; the stream ends after `completed`, `failed` or `cancelled`.",
      content: { 'text/event-stream': { schema: z.union(jobEventSchemas as unknown as [z.ZodTypeAny, z.ZodTypeAny, ...z.ZodTypeAny[]]) } },
    },
    ...errors(401, 404, 429),
  },
});

registry.registerPath({
  method: 'post',
  path: '/v1/images/jobs/{id}/cancel',
  tags: ['Jobs'],
  summary: 'Cancel a job',
  security: [{ apiKey: [] }],
  ...lumenRoute,
  request: { params: jobParams },
  responses: { '200': { description: 'The cancelled job.', content: { 'application/json': { schema: jobObject } } }, ...errors(401, 404, 409, 429) },
});

registry.registerPath({
  method: 'get',
  path: '/v1/images/jobs/{id}/images/{index}',
  tags: ['Jobs'],
  summary: "Download a job's image",
  security: [{ apiKey: [] }],
  ...lumenRoute,
  request: { params: jobParams.extend({ index: z.string().regex(/^\d+$/).openapi({ description: 'The image index among the job\'s n.' }) }) },
  responses: {
    '200': { description: 'The stored image bytes.', content: { 'image/png': { schema: binaryFile('PNG') }, 'image/jpeg': { schema: binaryFile('JPEG') }, 'image/webp': { schema: binaryFile('WebP') } } },
    ...errors(401, 404, 429),
  },
});

registry.registerPath({
  method: 'get',
  path: '/v1/files/{key}',
  tags: ['Images'],
  summary: 'Fetch an image by signed URL',
  description: 'The `url` of `response_format: "url"` and of job results: signed with HMAC, valid 60 minutes. The signature is the credential; no API key.',
  security: [],
  ...lumenRoute,
  request: {
    params: z.object({ key: z.string().openapi({ description: 'The stored key (it may contain `/`).' }) }),
    query: z.object({ expires: z.string(), signature: z.string() }),
  },
  responses: {
    '200': { description: 'The image bytes.', content: { 'image/png': { schema: binaryFile('PNG') }, 'image/jpeg': { schema: binaryFile('JPEG') }, 'image/webp': { schema: binaryFile('WebP') } } },
    ...errors(400, 403, 404),
  },
});

// Moderations.
const moderationResponse = moderationResponseSchemaOf([...OPENAI_MODERATION_CATEGORIES, ...LUMEN_MODERATION_CATEGORIES]);
const moderationResult = moderationResponse.shape.results.element;
registry.registerPath({
  method: 'post',
  path: '/v1/moderations',
  tags: ['Moderations'],
  summary: 'Classify text',
  description: "Answered by the tenant's live safety policy. Image parts are refused (`unsupported_input_type`): Lumen moderates text only.",
  security: [{ apiKey: [] }],
  request: { body: { required: true, content: { 'application/json': { schema: registry.register('CreateModerationRequest', moderationRequestSchema) } } } },
  responses: {
    '200': {
      description: 'One result per input string (one for a multimodal array).',
      content: {
        'application/json': {
          schema: registry.register(
            'ModerationResponse',
            markExtensions(moderationResponse, OPENAI_FIELDS.moderation).extend({
              results: z.array(
                moderationResult.extend({
                  categories: markCategoryKeys(moderationResult.shape.categories),
                  category_scores: markCategoryKeys(moderationResult.shape.category_scores),
                  category_applied_input_types: markCategoryKeys(moderationResult.shape.category_applied_input_types),
                }),
              ),
            }),
          ),
        },
      },
    },
    ...errors(400, 401, 413, 429),
  },
});

// Provenance (Lumen).
registry.registerPath({
  method: 'post',
  path: '/v1/provenance/verify',
  tags: ['Provenance'],
  summary: 'Did Lumen make this image?',
  security: [{ apiKey: [] }],
  ...lumenRoute,
  request: {
    body: {
      required: true,
      content: {
        'multipart/form-data': { schema: z.object({ image: binaryFile('The image, ≤ 25 MB.') }) },
        'image/*': { schema: binaryFile('The image as the raw body.') },
      },
    },
  },
  responses: {
    '200': { description: 'The verification; `record` only for the tenant that owns the job.', content: { 'application/json': { schema: registry.register('ProvenanceVerification', provenanceVerificationSchema) } } },
    ...errors(400, 401, 413, 429, 503),
  },
});

registry.registerPath({
  method: 'get',
  path: '/.well-known/lumen-provenance.json',
  tags: ['Provenance'],
  summary: 'Provenance signing keys',
  security: [],
  ...lumenRoute,
  responses: {
    '200': { description: 'The Ed25519 keys (JWK) records are signed with, and the C2PA trust anchor.', content: { 'application/json': { schema: registry.register('ProvenanceKeys', provenanceKeysSchema) } } },
    ...errors(503),
  },
});

// Account and webhooks (Lumen).
registry.registerPath({
  method: 'post',
  path: '/v1/signup',
  tags: ['Account'],
  summary: 'Sign up for a free tenant',
  security: [],
  ...lumenRoute,
  request: { body: { required: false, content: { 'application/json': { schema: registry.register('SignupRequest', signupRequestSchema) } } } },
  responses: { '201': { description: 'The new tenant and its key (shown once).', content: { 'application/json': { schema: registry.register('SignupResponse', signupResponseSchema) } } }, ...errors(400, 413, 429) },
});

registry.registerPath({
  method: 'get',
  path: '/v1/webhooks/secret',
  tags: ['Account'],
  summary: "The tenant's webhook signing secret",
  security: [{ apiKey: [] }],
  ...lumenRoute,
  responses: { '200': { description: 'The Standard Webhooks secret.', content: { 'application/json': { schema: registry.register('WebhookSecret', webhookSecretSchema) } } }, ...errors(401) },
});

registry.registerWebhook({
  method: 'post',
  path: 'image.generation',
  summary: 'A job ended',
  description: 'POSTed to the `webhook_url` of a job when it ends, signed with `webhook-id`, `webhook-timestamp` and `webhook-signature` (Standard Webhooks).',
  ...lumenRoute,
  request: { body: { content: { 'application/json': { schema: registry.register('WebhookEvent', webhookEventSchema) } } } },
  responses: { '200': { description: 'Any 2xx acknowledges; anything else (3xx included) is retried up to 8 times.' } },
});

registry.registerPath({
  method: 'get',
  path: '/healthz',
  tags: ['Meta'],
  summary: 'Liveness',
  security: [],
  ...lumenRoute,
  responses: { '200': { description: 'The gateway answers.', content: { 'application/json': { schema: healthSchema } } } },
});

registry.registerPath({
  method: 'get',
  path: '/openapi.json',
  tags: ['Meta'],
  summary: 'This document',
  security: [],
  ...lumenRoute,
  responses: { '200': { description: 'The OpenAPI 3.1 document, generated from the request and response schemas.', content: { 'application/json': { schema: z.object({ openapi: z.string() }).passthrough() } } } },
});

registry.registerPath({
  method: 'get',
  path: '/docs',
  tags: ['Meta'],
  summary: 'API reference',
  security: [],
  ...lumenRoute,
  responses: { '200': { description: 'An HTML reference of this document; its scripts are served by the gateway itself.', content: { 'text/html': { schema: z.string() } } } },
});

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

let built: OpenApiDocument | undefined;

/** The document, built once per isolate. */
export function openApiDocument(): OpenApiDocument {
  built ??= new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Lumen',
      version: '1',
      description:
        'An OpenAI Images API compatible image-generation backend. Everything marked `x-lumen-extension: true` (fields, headers, answers and whole routes) is Lumen\'s own and not part of the OpenAI API; everything else follows OpenAI\'s published document.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'Images', description: 'OpenAI-compatible image generation and editing.' },
      { name: 'Jobs', description: 'Lumen extension: every generation is a durable job.' },
      { name: 'Models', description: 'OpenAI-compatible model list: the model packs and their aliases.' },
      { name: 'Moderations', description: 'OpenAI-compatible text moderation.' },
      { name: 'Provenance', description: 'Lumen extension: watermark and signed-record checks.' },
      { name: 'Account', description: 'Lumen extension: self-serve signup and the webhook signing secret.' },
      { name: 'Meta', description: 'Lumen extension: health and this document.' },
    ],
  });
  return built;
}

/** The paths the document covers, as registered (for tests that check coverage). */
export function documentedRoutes(): Array<Pick<RouteConfig, 'method' | 'path'>> {
  return registry.definitions.flatMap((definition) => (definition.type === 'route' ? [{ method: definition.route.method, path: definition.route.path }] : []));
}
