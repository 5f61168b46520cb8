// The OpenAI error shape, shared by the gateway and the origin API. Plain
// classes and a web-standard Response, so any transport can use them.

import type { OpenAIErrorBody } from './openai.js';

export type { OpenAIErrorBody };

/** Base of every error an API returns on purpose; mapped to HTTP in one place (`toErrorResponse`). */
export class ApiError extends Error {
  constructor(
    /** An HTTP status of 400 or more. */
    readonly status: number,
    readonly type: string,
    message: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    // A deliberate answer, not a fault: capturing a stack trace for it was most of what a 404 or 429 cost.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = stackTraceLimit;
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

/** A failure on the server's side; its message is all the client learns. */
export class ServerError extends ApiError {
  constructor(message: string, code: string | null = null) {
    super(500, 'server_error', message, code);
  }
}

export function toErrorResponse(error: ApiError): Response {
  return Response.json(error.toBody(), { status: error.status, headers: error.headers });
}
