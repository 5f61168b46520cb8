import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { ApiError, NotFoundError } from '../errors.js';
import { verifyImageUrl } from '../signed-urls.js';

/** Serves stored images to holders of a signed URL; the signature is the credential. */
export const files = new Hono<AppEnv>();

/**
 * The R2 key a file path names. Decoded here, not by Hono, because the signature
 * covers the exact key and Hono leaves undecodable sequences as they are; a path
 * that does not decode throws URIError, which the app answers 400 invalid_path.
 */
function keyOfPath(pathname: string): string {
  return decodeURIComponent(pathname.replace(/^\/v1\/files\//, ''));
}

files.get('/*', async (c) => {
  const key = keyOfPath(new URL(c.req.url).pathname);
  const check = await verifyImageUrl(c.env, key, c.req.query('expires'), c.req.query('signature'));
  if (!check.ok) {
    throw new ApiError(403, 'invalid_request_error', check.reason === 'expired' ? 'This link has expired. Ask for the image again.' : 'This link is not valid.', `url_${check.reason}`);
  }
  const object = await c.env.IMAGES.get(key);
  if (!object) throw new NotFoundError('The image no longer exists.');
  return new Response(object.body, {
    headers: { 'content-type': object.httpMetadata?.contentType ?? 'application/octet-stream', 'cache-control': 'private, max-age=3600' },
  });
});
