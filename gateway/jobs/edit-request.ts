// An edit request (OpenAI's multipart form, or JSON naming an earlier output)
// turned into a job submission.
import type { Context } from 'hono';
import type { AppEnv } from '../env.js';
import { InvalidRequestError, NotFoundError, parseRequest } from '../errors.js';
import { readImageHeader, type ImageHeader } from '../image-header.js';
import { resolveModel } from '../models.js';
import { shardForJob } from '../queue.js';
import { canonicalJson } from '../../protocol/canonical-json.js';
import { resolveSize, sizeForInput, type ImageSize } from '../../protocol/images.js';
import type { EditParams, EditSource, GenerationParams } from '../../protocol/jobs.js';
import { editRequestSchema, generationParamsOf, type EditRequest } from '../../protocol/openai.js';
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

/** One uploaded image, checked from its header (size, pixels, format) and hashed; nothing is decoded. */
export async function readUpload(file: File, param: string): Promise<Upload> {
  if (file.size > MAX_EDIT_IMAGE_BYTES) {
    throw new InvalidRequestError(`'${param}' is ${file.size} bytes; the limit is ${MAX_EDIT_IMAGE_BYTES} bytes (25 MB).`, param, 'image_too_large');
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
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

/** `{"image_id": ..., "prompt": ...}`: an edit of an earlier output, reusing its stored tokens. */
async function parseJsonEdit(c: Context<AppEnv>, raw: unknown): Promise<Submission> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidRequestError('The request body must be a JSON object.');
  const fields = parseRequest(editRequestSchema, raw as Record<string, unknown>);
  const model = resolveModel(c.env, fields.model);
  if (!fields.image_id) throw new InvalidRequestError("Missing required parameter: 'image_id' (or send the image as multipart/form-data).", 'image_id', 'missing_required_parameter');
  const source = await resolveImageId(c, fields.image_id);
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
  const model = resolveModel(c.env, fields.model);
  if (fields.image_id && files.length > 0) throw new InvalidRequestError("Send either 'image' or 'image_id', not both.", 'image_id');
  if (fields.image_id) {
    if (maskFile) throw new InvalidRequestError("A 'mask' needs an uploaded 'image'.", 'mask');
    return parseJsonEdit(c, raw);
  }
  if (files.length === 0) throw new InvalidRequestError("Missing required parameter: 'image'.", 'image', 'missing_required_parameter');
  if (files.length > MAX_EDIT_IMAGES) throw new InvalidRequestError(`At most ${MAX_EDIT_IMAGES} images can be edited together; got ${files.length}.`, 'image', 'too_many_images');

  const uploads: Upload[] = [];
  for (const [index, file] of files.entries()) uploads.push(await readUpload(file, files.length > 1 ? `image[${index}]` : 'image'));
  const canvas = uploads[0]!;
  let mask: Upload | undefined;
  if (maskFile) {
    mask = await readUpload(maskFile, 'mask');
    if (mask.header.format !== 'png' || !mask.header.hasAlpha) {
      throw new InvalidRequestError('The mask must be a PNG with an alpha channel (alpha 0 marks the area to edit).', 'mask', 'invalid_mask');
    }
    if (mask.header.width !== canvas.header.width || mask.header.height !== canvas.header.height) {
      throw new InvalidRequestError(
        `The mask is ${mask.header.width}x${mask.header.height} but the image is ${canvas.header.width}x${canvas.header.height}; they must match.`,
        'mask',
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
  throw new InvalidRequestError('Send edits as multipart/form-data (image, prompt, mask…) or as JSON with an image_id.');
}
