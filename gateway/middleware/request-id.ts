// x-request-id and openai-processing-ms on every response, as OpenAI sends them
// (the official SDKs expose the first as `_request_id` and on their errors).
// Not hono/request-id: it sets its header before next(), so the responses the
// error and not-found handlers build themselves would go out without it.
import type { MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import { bytesToHex } from '../../protocol/signature.js';
import type { AppEnv } from '../env.js';
import { setResponseHeaders } from '../response-headers.js';

export interface RequestIdOptions {
  /** The longest client-sent id that is kept; a longer one is replaced. */
  maxLength?: number;
}

/** Visible ASCII only: a client's id ends up in headers and log lines. */
const SAFE_REQUEST_ID = /^[\x21-\x7e]+$/;

/** `req_` and 32 random hex digits, the form of OpenAI's own ids. */
export function newRequestId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `req_${bytesToHex(bytes)}`;
}

/**
 * Names the request (the client's `x-request-id` when short and safe, else a new one) as `c.get('requestId')`,
 * and stamps whatever response comes back, errors included, with it and the gateway's time spent until then:
 * for a stream, the time to its headers.
 */
export const requestId = ({ maxLength = 128 }: RequestIdOptions = {}): MiddlewareHandler<AppEnv> =>
  createMiddleware<AppEnv>(async function requestId(c, next) {
    const started = Date.now();
    const sent = c.req.header('x-request-id');
    const id = sent !== undefined && sent.length <= maxLength && SAFE_REQUEST_ID.test(sent) ? sent : newRequestId();
    c.set('requestId', id);
    await next();
    setResponseHeaders(c, { 'x-request-id': id, 'openai-processing-ms': String(Date.now() - started) });
  });
