import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { InvalidRequestError } from '../errors.js';
import { apiKeyAuth } from '../middleware/auth.js';
import { rateLimit } from '../middleware/rate-limit.js';
import { callOriginApi, relay } from '../origin-api.js';

/** The verify endpoint's upload limit (the origin enforces it too). */
export const MAX_VERIFY_BYTES = 25 * 1024 * 1024;

function tooLarge(bytes: number): InvalidRequestError {
  return new InvalidRequestError(`The image is ${bytes} bytes; the limit is ${MAX_VERIFY_BYTES} bytes (25 MB).`, 'image', 'image_too_large');
}

/**
 * The image of a verify request: a multipart `image` file (as the OpenAI SDK
 * uploads files) or the raw bytes as the body with an image content type.
 */
async function uploadedImage(request: Request): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  // Multipart framing adds a little; anything far beyond the limit is refused before it is read.
  if (declared > MAX_VERIFY_BYTES + 64 * 1024) throw tooLarge(declared);
  const type = request.headers.get('content-type') ?? '';
  let bytes: Uint8Array;
  if (type.startsWith('multipart/form-data')) {
    let form: FormData;
    try {
      form = await request.formData();
    } catch {
      throw new InvalidRequestError('The multipart body could not be parsed.', 'image', 'invalid_multipart');
    }
    const file: unknown = form.get('image');
    if (!(file instanceof File)) throw new InvalidRequestError("Attach the image as a file field named 'image'.", 'image', 'missing_required_parameter');
    bytes = new Uint8Array(await file.arrayBuffer());
  } else if (type.startsWith('image/') || type.startsWith('application/octet-stream')) {
    bytes = new Uint8Array(await request.arrayBuffer());
  } else {
    throw new InvalidRequestError("Send the image as multipart/form-data (field 'image') or as the raw body with an image/* content type.", 'image', 'unsupported_content_type');
  }
  if (bytes.byteLength === 0) throw new InvalidRequestError('The image is empty.', 'image', 'invalid_image');
  if (bytes.byteLength > MAX_VERIFY_BYTES) throw tooLarge(bytes.byteLength);
  return bytes;
}

export const provenance = new Hono<AppEnv>();

provenance.use('/verify', apiKeyAuth());
provenance.use('/verify', rateLimit());

/** Did this service make the image, and (for the owning tenant only) which job, when, and does the signed record hold? */
provenance.post('/verify', async (c) => {
  const image = await uploadedImage(c.req.raw);
  const tenant = c.get('tenant');
  return relay(await callOriginApi(c.env, 'POST', `/v1/provenance/verify?tenant=${encodeURIComponent(tenant.id)}`, image));
});

/** The public keys that sign provenance records (JWK set), and the root certificate the images' C2PA manifests are signed under. */
export const wellKnown = new Hono<AppEnv>();

wellKnown.get('/lumen-provenance.json', async (c) => {
  const response = await callOriginApi(c.env, 'GET', '/v1/provenance/keys');
  const keys = (await response.json()) as { keys: unknown[]; c2pa?: { trust_anchors: string[] } };
  return c.json(
    { issuer: new URL(c.req.url).origin, algorithm: 'Ed25519', record_format: 'canonical JSON (sorted keys), signature base64url over its UTF-8 bytes', ...keys },
    200,
    { 'cache-control': 'public, max-age=3600' },
  );
});
