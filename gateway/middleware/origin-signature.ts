import type { MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env.js';
import { AuthenticationError } from '../errors.js';
import { SIGNATURE_HEADERS, verifyInternalRequest } from '../../protocol/signature.js';

/** Lets through only /internal calls signed by an origin worker with ORIGIN_SECRET. */
export const originSignature = (): MiddlewareHandler<AppEnv> =>
  createMiddleware<AppEnv>(async function originSignature(c, next) {
    const url = new URL(c.req.url);
    const body = await c.req.arrayBuffer();
    const valid = await verifyInternalRequest(
      c.env.ORIGIN_SECRET,
      c.req.method,
      url.pathname + url.search,
      body,
      c.req.header(SIGNATURE_HEADERS.timestamp),
      c.req.header(SIGNATURE_HEADERS.signature),
    );
    if (!valid) throw new AuthenticationError('Internal calls must be signed with the origin secret.', 'invalid_signature');
    await next();
  });
