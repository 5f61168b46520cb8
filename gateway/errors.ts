import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import type { ModerationBlock } from '../protocol/jobs.js';
import type { OpenAIErrorBody } from '../protocol/openai.js';

/** Base of every error the API returns on purpose; mapped to HTTP in one place (`toErrorResponse`). */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly type: string,
    message: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** Fields beyond OpenAI's four that a subclass adds to the error object (e.g. `moderation_stage`). */
  protected extraFields(): Record<string, string | number> {
    return {};
  }

  toBody(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code, ...this.extraFields() } };
  }
}

export class InvalidRequestError extends ApiError {
  constructor(message: string, param: string | null = null, code: string | null = null) {
    super(400, 'invalid_request_error', message, code, param);
  }
}

export class AuthenticationError extends ApiError {
  constructor(message: string, code = 'invalid_api_key') {
    super(401, 'invalid_request_error', message, code);
  }
}

export class NotFoundError extends ApiError {
  constructor(message: string) {
    super(404, 'invalid_request_error', message, 'not_found');
  }
}

export class PayloadTooLargeError extends ApiError {
  constructor(limitBytes: number) {
    super(413, 'invalid_request_error', `Request body is larger than ${limitBytes} bytes.`, 'request_too_large');
  }
}

export class ConflictError extends ApiError {
  constructor(message: string, code: string) {
    super(409, 'invalid_request_error', message, code);
  }
}

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

/** The job failed on the origin after every retry; not the client's fault. */
export class GenerationFailedError extends ApiError {
  constructor(message: string) {
    super(502, 'server_error', message, 'generation_failed');
  }
}

/** What ran out: the kinds a 429 names in its `type`. */
export type RateLimitKind = 'requests' | 'images' | 'concurrent' | 'signups' | 'auth_failures';

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

export function toErrorResponse(error: ApiError): Response {
  return Response.json(error.toBody(), { status: error.status, headers: error.headers });
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
