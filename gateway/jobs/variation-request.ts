// A variation request (OpenAI's createVariation: multipart `image`, `n`,
// `size`, `response_format`) turned into a job submission: an edit of the
// upload with no prompt, which the pipeline re-renders with each image's seed.
import type { Context } from 'hono';
import type { AppEnv } from '../env.js';
import { InvalidRequestError, parseRequest } from '../errors.js';
import { canonicalJson } from '../../protocol/canonical-json.js';
import { dimensionsOf } from '../../protocol/images.js';
import type { GenerationParams } from '../../protocol/jobs.js';
import { variationRequestSchema } from '../../protocol/openai.js';
import { readUpload } from './edit-request.js';
import type { Submission } from './submit.js';

export async function parseVariationRequest(c: Context<AppEnv>): Promise<Submission> {
  if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('multipart/form-data')) {
    throw new InvalidRequestError('Send variations as multipart/form-data with an `image` file.');
  }
  let form: FormData;
  try {
    form = await c.req.raw.formData();
  } catch {
    throw new InvalidRequestError('The multipart body could not be parsed.', null, 'invalid_multipart');
  }
  let file: File | undefined;
  const raw: Record<string, unknown> = {};
  for (const [name, value] of form.entries() as IterableIterator<[string, unknown]>) {
    if (name === 'image') {
      if (!(value instanceof File)) throw new InvalidRequestError("'image' must be a file.", 'image', 'invalid_value');
      if (file) throw new InvalidRequestError('A variation takes one image.', 'image', 'too_many_images');
      file = value;
    } else if (typeof value === 'string') {
      raw[name] = value;
    } else {
      throw new InvalidRequestError(`Unexpected file field '${name}'.`, name, 'invalid_value');
    }
  }
  const fields = parseRequest(variationRequestSchema, raw);
  if (!file) throw new InvalidRequestError("Missing required parameter: 'image'.", 'image', 'missing_required_parameter');
  const upload = await readUpload(file, 'image');
  const key = `uploads/${c.get('tenant').id}/${upload.sha256}.${upload.header.format}`;
  const [width, height] = dimensionsOf(fields.size);
  const params: GenerationParams = {
    prompt: '',
    n: fields.n,
    width,
    height,
    quality: 'auto',
    outputFormat: 'png',
    outputCompression: 100,
    seed: crypto.getRandomValues(new Uint32Array(1))[0]! >>> 1,
    partialImages: 0,
    moderation: 'auto',
    edit: { uploadKeys: [key], maskKey: null, source: null, inputFidelity: 'high', variation: true },
  };
  return {
    params,
    fingerprint: canonicalJson({ ...raw, variation: true, image: upload.sha256 }),
    n: fields.n,
    size: fields.size,
    quality: 'auto',
    stream: false,
    responseFormat: fields.response_format,
    storeInputs: async () => {
      await c.env.IMAGES.put(key, upload.bytes, { httpMetadata: { contentType: `image/${upload.header.format}` } });
    },
  };
}
