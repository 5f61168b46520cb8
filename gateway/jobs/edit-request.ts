// An edit request (OpenAI's multipart form, gpt-image's JSON form with data
// URLs, or JSON naming an earlier output) turned into a job submission.
import type { Context } from 'hono';
import type { AppEnv } from '../env.js';
import { InvalidRequestError, NotFoundError, parseRequest } from '../errors.js';
import { readImageHeader, type ImageHeader } from '../image-header.js';
import { resolveModel } from '../models.js';
import { shardForJob } from '../queue.js';
import { canonicalJson } from '../../protocol/canonical-json.js';
import { resolveSize, sizeForInput, type ImageSize } from '../../protocol/images.js';
import type { EditParams, EditSource, GenerationParams } from '../../protocol/jobs.js';
import { editRequestSchema, generationParamsOf, jsonEditRequestSchema, type EditRequest, type JsonEditRequest } from '../../protocol/openai.js';
import { sha256Hex } from '../../protocol/signature.js';
import { jobOfImageId } from './image-id.js';
import type { Submission } from './submit.js';

/** Per-image upload limit, as in the OpenAI API. */
export const MAX_EDIT_IMAGE_BYTES = 25 * 1024 * 1024;
/** Largest image taken, checked from its header before anything is decoded. */
export const MAX_EDIT_IMAGE_PIXELS = 40_000_000;
export const MAX_EDIT_IMAGES = 16;
/** The whole multipart body; Workers refuse bigger requests on most plans anyway. */
export const MAX_EDIT_BODY_BYTES = 100 * 1024 * 1024;

export interface Upload {
  bytes: Uint8Array;
  header: ImageHeader;
  sha256: string;
}

function tooLarge(param: string, bytes: number): InvalidRequestError {
  return new InvalidRequestError(`'${param}' is ${bytes} bytes; the limit is ${MAX_EDIT_IMAGE_BYTES} bytes (25 MB).`, param, 'image_too_large');
}

/** One uploaded image, checked from its header (size, pixels, format) and hashed; nothing is decoded. */
export async function readUpload(file: File, param: string): Promise<Upload> {
  if (file.size > MAX_EDIT_IMAGE_BYTES) throw tooLarge(param, file.size);
  return checkUpload(new Uint8Array(await file.arrayBuffer()), param);
}

/** The image's header is checked before anything is decoded: format, then pixel count. */
async function checkUpload(bytes: Uint8Array, param: string): Promise<Upload> {
  const header = readImageHeader(bytes);
  if (!header) throw new InvalidRequestError(`'${param}' is not a PNG, JPEG or WebP image (or its header is damaged).`, param, 'invalid_image');
  if (header.width * header.height > MAX_EDIT_IMAGE_PIXELS) {
    throw new InvalidRequestError(`'${param}' is ${header.width}x${header.height}; the limit is 40 megapixels.`, param, 'image_too_many_pixels');
  }
  return { bytes, header, sha256: await sha256Hex(bytes) };
}

function submissionOf(fields: EditRequest, size: ImageSize, params: GenerationParams, fingerprint: string): Submission {
  return {
    params,
    fingerprint,
    n: fields.n,
    size,
    quality: fields.quality,
    stream: fields.stream,
    responseFormat: fields.response_format,
    webhookUrl: fields.webhook_url,
  };
}

const DATA_URL = /^data:(image\/[a-z0-9.+-]+)?(;[a-z0-9-]+=[^;,]*)*;base64,/i;

/**
 * An `image_url` of the JSON form: a base64 data URL only. Lumen never fetches a
 * remote URL, which would let a client aim the gateway at any address.
 */
async function readDataUrl(url: string, param: string): Promise<Upload> {
  if (/^https?:/i.test(url)) {
    throw new InvalidRequestError(`'${param}' is a remote URL; Lumen never fetches images. Send it as a data URL (data:image/png;base64,…) or upload it as multipart/form-data.`, param, 'remote_url_not_supported');
  }
  const prefix = DATA_URL.exec(url);
  if (!prefix) throw new InvalidRequestError(`'${param}' must be a base64 data URL such as data:image/png;base64,….`, param, 'invalid_image_url');
  const base64 = url.slice(prefix[0].length).replace(/\s+/g, '');
  // Checked before decoding, from the length alone.
  const size = Math.floor((base64.length * 3) / 4) - (base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0);
  if (size > MAX_EDIT_IMAGE_BYTES) throw tooLarge(param, size);
  let binary: string;
  try {
    binary = atob(base64);
  } catch {
    throw new InvalidRequestError(`'${param}' is not valid base64.`, param, 'invalid_image_url');
  }
  return checkUpload(Uint8Array.from(binary, (char) => char.charCodeAt(0)), param);
}

/**
 * JSON: `{"image_id": ..., "prompt": ...}`, an edit of an earlier output reusing its stored tokens,
 * or gpt-image's `{"images": [{"image_url"} | {"file_id"}], "mask": {"image_url"}, "prompt": ...}`.
 */
async function parseJsonEdit(c: Context<AppEnv>, raw: unknown): Promise<Submission> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidRequestError('The request body must be a JSON object.');
  const fields = parseRequest(jsonEditRequestSchema, raw as Record<string, unknown>);
  // An unknown model is a 404 before any image is read.
  const model = resolveModel(c.env, fields.model);
  const { images, mask, ...rest } = raw as Record<string, unknown>;
  if (fields.images && fields.image_id) throw new InvalidRequestError("Send either 'images' or 'image_id', not both.", 'image_id');
  if (fields.images) return parseImageReferences(c, fields, rest, model);
  if (fields.mask) throw new InvalidRequestError("A 'mask' needs 'images' to apply to.", 'mask');
  if (!fields.image_id) throw new InvalidRequestError("Missing required parameter: 'images' (or 'image_id', or send the image as multipart/form-data).", 'images', 'missing_required_parameter');
  return editOfImageId(c, fields, fields.image_id, raw, model);
}

/** The `images` and `mask` of the JSON form: data URLs, or one Lumen image id as `file_id`. */
async function parseImageReferences(c: Context<AppEnv>, fields: JsonEditRequest, rest: Record<string, unknown>, model: string): Promise<Submission> {
  const images = fields.images!;
  if (images.length > MAX_EDIT_IMAGES) throw new InvalidRequestError(`At most ${MAX_EDIT_IMAGES} images can be edited together; got ${images.length}.`, 'images', 'too_many_images');
  for (const [index, image] of images.entries()) {
    if ((image.image_url === undefined) === (image.file_id === undefined)) {
      throw new InvalidRequestError(`'images[${index}]' must have exactly one of 'image_url' and 'file_id'.`, `images[${index}]`, 'invalid_value');
    }
  }
  const fileId = images.find((image) => image.file_id !== undefined)?.file_id;
  if (fileId !== undefined) {
    // Lumen has no Files API; an output's image_id is what names a stored image here.
    if (!fileId.startsWith('img_')) {
      throw new InvalidRequestError(`Lumen has no Files API: 'file_id' takes the image_id (img_…) of one of your outputs; got '${fileId}'. Send other images as data URLs.`, 'images[0].file_id', 'invalid_file_id');
    }
    if (images.length > 1) throw new InvalidRequestError("A 'file_id' must be the only image; send the others' bytes as data URLs.", 'images', 'invalid_value');
    if (fields.mask) throw new InvalidRequestError("A 'mask' needs an uploaded image: send the image as a data URL.", 'mask');
    return editOfImageId(c, fields, fileId, { ...rest, image_id: fileId }, model);
  }
  if (fields.mask?.file_id !== undefined) throw new InvalidRequestError("Lumen has no Files API: send the mask as a data URL in 'mask.image_url'.", 'mask.file_id', 'invalid_file_id');
  if (fields.mask && fields.mask.image_url === undefined) throw new InvalidRequestError("Missing required parameter: 'mask.image_url'.", 'mask.image_url', 'missing_required_parameter');
  const uploads: Upload[] = [];
  for (const [index, image] of images.entries()) uploads.push(await readDataUrl(image.image_url!, `images[${index}].image_url`));
  const mask = fields.mask?.image_url === undefined ? undefined : await readDataUrl(fields.mask.image_url, 'mask.image_url');
  return uploadSubmission(c, fields, rest, uploads, mask, 'mask.image_url', model);
}

async function editOfImageId(c: Context<AppEnv>, fields: EditRequest, imageId: string, raw: unknown, model: string): Promise<Submission> {
  const source = await resolveImageId(c, imageId);
  const size = resolveSize(fields.size, sizeForInput(source.width, source.height));
  const edit: EditParams = { uploadKeys: [], maskKey: null, source: source.source, inputFidelity: fields.input_fidelity };
  return submissionOf(fields, size, generationParamsOf(fields, size, model, edit), canonicalJson(raw));
}

async function resolveImageId(c: Context<AppEnv>, imageId: string): Promise<{ source: EditSource; width: number; height: number }> {
  const ref = jobOfImageId(imageId);
  const notFound = new NotFoundError(`No image with id '${imageId}'.`);
  if (!ref) throw notFound;
  const shard = shardForJob(c, ref.jobId);
  const found = await shard?.editSource(ref.jobId, c.get('tenant').id, ref.index);
  if (!found) throw notFound;
  return { source: { imageId, prompt: found.prompt, seed: found.seed, grid: found.grid }, width: found.width, height: found.height };
}

/** OpenAI's multipart form: `image` or `image[]` (1–16 files), `prompt`, optional `mask`, and the options as strings. */
async function parseMultipartEdit(c: Context<AppEnv>): Promise<Submission> {
  let form: FormData;
  try {
    form = await c.req.raw.formData();
  } catch {
    throw new InvalidRequestError('The multipart body could not be parsed.', null, 'invalid_multipart');
  }
  const files: File[] = [];
  let maskFile: File | undefined;
  const raw: Record<string, unknown> = {};
  for (const [name, value] of form.entries() as IterableIterator<[string, unknown]>) {
    if (name === 'image' || name === 'image[]') {
      if (!(value instanceof File)) throw new InvalidRequestError(`'${name}' must be a file.`, 'image', 'invalid_value');
      files.push(value);
    } else if (name === 'mask') {
      if (!(value instanceof File)) throw new InvalidRequestError("'mask' must be a file.", 'mask', 'invalid_value');
      maskFile = value;
    } else if (typeof value === 'string') {
      raw[name] = value;
    } else {
      throw new InvalidRequestError(`Unexpected file field '${name}'.`, name, 'invalid_value');
    }
  }
  const fields = parseRequest(editRequestSchema, raw);
  // An unknown model is a 404 before any image is read.
  const model = resolveModel(c.env, fields.model);
  if (fields.image_id && files.length > 0) throw new InvalidRequestError("Send either 'image' or 'image_id', not both.", 'image_id');
  if (fields.image_id) {
    if (maskFile) throw new InvalidRequestError("A 'mask' needs an uploaded 'image'.", 'mask');
    return editOfImageId(c, fields, fields.image_id, raw, model);
  }
  if (files.length === 0) throw new InvalidRequestError("Missing required parameter: 'image'.", 'image', 'missing_required_parameter');
  if (files.length > MAX_EDIT_IMAGES) throw new InvalidRequestError(`At most ${MAX_EDIT_IMAGES} images can be edited together; got ${files.length}.`, 'image', 'too_many_images');

  const uploads: Upload[] = [];
  for (const [index, file] of files.entries()) uploads.push(await readUpload(file, files.length > 1 ? `image[${index}]` : 'image'));
  const mask = maskFile ? await readUpload(maskFile, 'mask') : undefined;
  return uploadSubmission(c, fields, raw, uploads, mask, 'mask', model);
}

/**
 * An edit of uploaded images, however they came (multipart files or data URLs):
 * the mask checked against the canvas, content-addressed keys, and the uploads
 * stored only once the request is admitted. `raw` is the request's other fields,
 * for the Idempotency-Key fingerprint (with the uploads by their hashes).
 */
async function uploadSubmission(
  c: Context<AppEnv>,
  fields: EditRequest,
  raw: Record<string, unknown>,
  uploads: Upload[],
  mask: Upload | undefined,
  maskParam: string,
  model: string,
): Promise<Submission> {
  const canvas = uploads[0]!;
  if (mask) {
    if (mask.header.format !== 'png' || !mask.header.hasAlpha) {
      throw new InvalidRequestError('The mask must be a PNG with an alpha channel (alpha 0 marks the area to edit).', maskParam, 'invalid_mask');
    }
    if (mask.header.width !== canvas.header.width || mask.header.height !== canvas.header.height) {
      throw new InvalidRequestError(
        `The mask is ${mask.header.width}x${mask.header.height} but the image is ${canvas.header.width}x${canvas.header.height}; they must match.`,
        maskParam,
        'invalid_mask',
      );
    }
  }

  // Content-addressed keys: a retried or repeated upload stores nothing new.
  const tenantId = c.get('tenant').id;
  const keyOf = (upload: Upload) => `uploads/${tenantId}/${upload.sha256}.${upload.header.format}`;
  const uploadKeys = uploads.map(keyOf);
  const maskKey = mask ? keyOf(mask) : null;
  // Stored only once the request is admitted (submitJob), so a refused or replayed edit writes nothing.
  const storeInputs = async () => {
    await Promise.all(
      [...uploads, ...(mask ? [mask] : [])].map((upload) =>
        c.env.IMAGES.put(keyOf(upload), upload.bytes, { httpMetadata: { contentType: `image/${upload.header.format}` } }),
      ),
    );
  };
  const size = resolveSize(fields.size, sizeForInput(canvas.header.width, canvas.header.height));
  const edit: EditParams = { uploadKeys, maskKey, source: null, inputFidelity: fields.input_fidelity };
  const fingerprint = canonicalJson({ ...raw, images: uploads.map((upload) => upload.sha256), mask: mask?.sha256 ?? null });
  return { ...submissionOf(fields, size, generationParamsOf(fields, size, model, edit), fingerprint), storeInputs };
}

/** Parses an edit request in either form into a job submission; uploads are stored in R2 first. */
export async function parseEditRequest(c: Context<AppEnv>): Promise<Submission> {
  const type = (c.req.header('content-type') ?? '').toLowerCase();
  if (type.startsWith('multipart/form-data')) return parseMultipartEdit(c);
  if (type.includes('application/json')) {
    let raw: unknown;
    try {
      raw = JSON.parse(await c.req.text());
    } catch {
      throw new InvalidRequestError('The request body is not valid JSON.');
    }
    return parseJsonEdit(c, raw);
  }
  throw new InvalidRequestError('Send edits as multipart/form-data (image, prompt, mask…) or as JSON (images as data URLs, or an image_id).');
}
