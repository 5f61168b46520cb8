import type { Context } from 'hono';
import type { z } from 'zod';
import { ApiError, InvalidRequestError } from '../protocol/errors.js';
import type { ModerationBlock } from '../protocol/jobs.js';

// The OpenAI error shape and the errors any API returns live in protocol/ (the origin API uses them too);
// the gateway adds the ones only it raises.
export {
  ApiError,
  AuthenticationError,
  ConflictError,
  InvalidRequestError,
  NotFoundError,
  PayloadTooLargeError,
  toErrorResponse,
  type OpenAIErrorBody,
} from '../protocol/errors.js';

/** The pipeline refused the job for a reason the client can fix (e.g. moderation). */
export class GenerationRejectedError extends ApiError {
  constructor(
    message: string,
    code: string,
    readonly moderation?: ModerationBlock,
  ) {
    super(400, 'image_generation_user_error', message, code);
  }

  protected override extraFields(): Record<string, string | number> {
    if (!this.moderation) return {};
    const { stage, category, pass } = this.moderation;
    return stage === 'output' ? { moderation_stage: stage, category, pass } : { moderation_stage: stage, category };
  }
}

/** A `model` that is neither a configured pack nor an alias of one (OpenAI answers unknown models the same way). */
export class ModelNotFoundError extends ApiError {
  constructor(model: string) {
    super(404, 'invalid_request_error', `The model '${model}' does not exist. GET /v1/models lists the models this deployment serves.`, 'model_not_found', 'model');
  }
}

/** The job failed on the origin after every retry; not the client's fault. */
export class GenerationFailedError extends ApiError {
  constructor(message: string) {
    super(502, 'server_error', message, 'generation_failed');
  }
}

/** What ran out: the kinds a 429 names in its `type`. */
export type RateLimitKind = 'requests' | 'reads' | 'images' | 'concurrent' | 'signups' | 'auth_failures';

/**
 * 429 in the OpenAI shape (`code: rate_limit_exceeded`, `type` names the limit)
 * with a jittered Retry-After, so throttled clients do not all come back in the same second.
 */
export class RateLimitError extends ApiError {
  constructor(
    readonly kind: RateLimitKind,
    message: string,
    retryAfterMs: number,
    headers: Record<string, string> = {},
    code = 'rate_limit_exceeded',
  ) {
    super(429, kind, message, code, null, { ...headers, 'retry-after': String(jitteredRetryAfterSeconds(retryAfterMs)) });
  }
}

/** Whole seconds, at least 1, with up to +25% (at least +1 s) of random spread. */
export function jitteredRetryAfterSeconds(waitMs: number): number {
  const base = Math.max(0, waitMs) / 1000;
  const spread = Math.max(1, base * 0.25);
  return Math.max(1, Math.ceil(base + Math.random() * spread));
}

/**
 * Validates a request body against `schema`, answering the first problem the
 * way the OpenAI API does: unknown arguments, missing parameters (code
 * `missing_required_parameter`) and invalid values (`invalid_value`), each
 * naming the parameter.
 */
export function parseRequest<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, raw: unknown): T {
  const parsed = schema.safeParse(raw);
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

/** The body of a JSON request: 400 for another content type or for JSON that does not parse. */
export async function readJsonBody(c: Context): Promise<unknown> {
  if (!(c.req.header('content-type') ?? '').toLowerCase().includes('application/json')) {
    throw new InvalidRequestError('Send the request body as JSON with "Content-Type: application/json".');
  }
  const text = await c.req.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidRequestError('The request body is not valid JSON.');
  }
}
