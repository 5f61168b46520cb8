// The OpenAI Images API as the official SDK sees it: every parameter and value
// a client may send, and every field of every answer checked for presence,
// type and meaning, down to the bytes (magic number, dimensions, alpha).
import OpenAI, { toFile } from 'openai';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from './stack.js';

type Format = 'png' | 'jpeg' | 'webp';

/** The format an encoded image's first bytes name, or null for anything else. */
function magicFormat(bytes: Buffer): Format | null {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') return 'webp';
  return null;
}

interface Decoded {
  format: Format | null;
  width: number;
  height: number;
  hasAlpha: boolean;
  /** Alpha of a pixel (255 when the image has no alpha channel). */
  alphaAt(x: number, y: number): number;
}

async function decode(b64: string): Promise<Decoded> {
  const bytes = Buffer.from(b64, 'base64');
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const metadata = await sharp(bytes).metadata();
  return {
    format: magicFormat(bytes),
    width: info.width,
    height: info.height,
    hasAlpha: metadata.hasAlpha === true,
    alphaAt: (x, y) => data[(y * info.width + x) * 4 + 3]!,
  };
}

/** The usage object every answer carries, with its arithmetic. */
function expectUsage(usage: OpenAI.Images.ImagesResponse['usage'] | undefined): void {
  expect(usage).toBeDefined();
  const { input_tokens, output_tokens, total_tokens, input_tokens_details } = usage!;
  for (const value of [input_tokens, output_tokens, total_tokens, input_tokens_details.text_tokens, input_tokens_details.image_tokens]) {
    expect(Number.isInteger(value) && value >= 0).toBe(true);
  }
  expect(output_tokens).toBeGreaterThan(0);
  expect(total_tokens).toBe(input_tokens + output_tokens);
  expect(input_tokens).toBe(input_tokens_details.text_tokens + input_tokens_details.image_tokens);
}

const QUALITIES_USED = ['low', 'medium', 'high'];

describe('OpenAI Images API conformance, through the official SDK', () => {
  let stack: TestStack;
  let client: OpenAI;
  let freeClient: OpenAI;

  beforeAll(async () => {
    stack = await startTestStack();
    const lifted = { requestsPerMinute: 10_000, imagesPerMinute: 10_000, concurrentJobs: 100 };
    client = new OpenAI({ apiKey: await stack.key('conformpro', 'pro', lifted), baseURL: `${stack.url}/v1`, maxRetries: 0 });
    freeClient = new OpenAI({ apiKey: await stack.key('conformfree', 'free', lifted), baseURL: `${stack.url}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  describe('images.generate', () => {
    it.each<{ format: Format; size: string; width: number; height: number }>([
      { format: 'png', size: '1024x1024', width: 1024, height: 1024 },
      { format: 'jpeg', size: '1536x1024', width: 1536, height: 1024 },
      { format: 'webp', size: '1024x1536', width: 1024, height: 1536 },
      { format: 'png', size: '256x256', width: 256, height: 256 },
      { format: 'webp', size: '512x512', width: 512, height: 512 },
    ])('should answer $format at $size with those very bytes and every field', async ({ format, size, width, height }) => {
      const response = await client.images.generate({
        model: 'gpt-image-1',
        prompt: 'a red circle on a blue background',
        size: size as OpenAI.Images.ImageGenerateParams['size'],
        output_format: format,
        quality: 'low',
        ...(format === 'png' ? {} : { output_compression: 80 }),
        moderation: 'auto',
        user: 'conformance-suite',
      });
      expect(Number.isInteger(response.created)).toBe(true);
      expect(Math.abs(response.created - Date.now() / 1000)).toBeLessThan(600);
      expect(response.output_format).toBe(format);
      expect(response.size).toBe(size);
      expect(response.quality).toBe('low');
      expect(response.background).toBe('opaque');
      expect(response._request_id).toMatch(/\S/);
      expectUsage(response.usage);
      expect(response.data).toHaveLength(1);
      const image = await decode(response.data![0]!.b64_json!);
      expect(image.format).toBe(format);
      expect([image.width, image.height]).toEqual([width, height]);
    });

    it.each([
      { quality: 'auto' as const, expected: QUALITIES_USED },
      { quality: 'medium' as const, expected: ['medium'] },
      { quality: 'high' as const, expected: ['high'] },
      { quality: 'standard' as const, expected: ['medium'] },
      { quality: 'hd' as const, expected: ['high'] },
    ])('should answer quality $quality with the quality actually used', async ({ quality, expected }) => {
      const response = await client.images.generate({ prompt: 'a green square', size: '256x256', quality });
      expect(expected).toContain(response.quality);
    });

    it('should answer an omitted quality with a concrete one', async () => {
      const response = await client.images.generate({ prompt: 'a green square', size: '256x256' });
      expect(QUALITIES_USED).toContain(response.quality);
    });

    it.each([
      { size: '1792x1024' as const, width: 1536, height: 1024 },
      { size: '1024x1792' as const, width: 1024, height: 1536 },
    ])('should map the DALL·E size $size to the nearest supported one', async ({ size, width, height }) => {
      const response = await client.images.generate({ model: 'dall-e-3', prompt: 'a yellow star', size, quality: 'standard', style: 'vivid' });
      expect(response.size).toBe(`${width}x${height}`);
      const image = await decode(response.data![0]!.b64_json!);
      expect([image.width, image.height]).toEqual([width, height]);
    });

    it('should accept style natural', async () => {
      const response = await client.images.generate({ model: 'dall-e-3', prompt: 'a yellow star', size: '1024x1024', style: 'natural', quality: 'hd' });
      expect(response.quality).toBe('high');
      expect(response.data).toHaveLength(1);
    });

    it.each<Format>(['png', 'webp'])('should render a transparent background as alpha 0 in %s, the object opaque', async (format) => {
      const response = await client.images.generate({ prompt: 'a red circle', size: '256x256', background: 'transparent', output_format: format, quality: 'low' });
      expect(response.background).toBe('transparent');
      const image = await decode(response.data![0]!.b64_json!);
      expect(image.format).toBe(format);
      expect(image.hasAlpha).toBe(true);
      expect(image.alphaAt(2, 2)).toBe(0);
      expect(image.alphaAt(128, 128)).toBe(255);
    });

    it('should refuse a transparent JPEG with BadRequestError naming background', async () => {
      const refusal = client.images.generate({ prompt: 'a red circle', background: 'transparent', output_format: 'jpeg' });
      await expect(refusal).rejects.toBeInstanceOf(OpenAI.BadRequestError);
      await expect(refusal).rejects.toMatchObject({ status: 400, param: 'background' });
    });

    it('should give an opaque background no transparent pixel', async () => {
      const response = await client.images.generate({ prompt: 'a red circle', size: '256x256', background: 'opaque' });
      expect(response.background).toBe('opaque');
      const image = await decode(response.data![0]!.b64_json!);
      expect(image.alphaAt(2, 2)).toBe(255);
    });

    it('should make n distinct images, as b64_json or url', async () => {
      const asB64 = await client.images.generate({ prompt: 'a blue triangle', size: '256x256', n: 2 });
      expect(asB64.data).toHaveLength(2);
      expect(asB64.data![0]!.b64_json).not.toBe(asB64.data![1]!.b64_json);
      const asUrl = await client.images.generate({ model: 'dall-e-2', prompt: 'a blue triangle', size: '256x256', n: 2, response_format: 'url' });
      for (const item of asUrl.data!) {
        expect(item.b64_json).toBeUndefined();
        const fetched = await fetch(item.url!);
        expect(fetched.status).toBe(200);
        expect(magicFormat(Buffer.from(await fetched.arrayBuffer()))).toBe('png');
      }
    });

    it('should refuse an unknown model with NotFoundError model_not_found', async () => {
      const refusal = client.images.generate({ model: 'no-such-model', prompt: 'a red circle' });
      await expect(refusal).rejects.toBeInstanceOf(OpenAI.NotFoundError);
      await expect(refusal).rejects.toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
    });

    it('should give every error a request id and the OpenAI error fields', async () => {
      const error = await client.images.generate({ prompt: 'a red circle', n: 99 }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      const apiError = error as InstanceType<typeof OpenAI.BadRequestError>;
      expect(apiError.requestID).toMatch(/\S/);
      expect(apiError.param).toBe('n');
      expect(typeof apiError.message).toBe('string');
    });
  });

  describe('streaming', () => {
    it('should stream partials whose fields describe their bytes, each tied to its image, then one completed event per image', async () => {
      const stream = await client.images.generate({ prompt: 'a red circle on a blue background', size: '512x512', n: 2, stream: true, partial_images: 2, output_format: 'webp' });
      const partials: OpenAI.Images.ImageGenPartialImageEvent[] = [];
      const completed: OpenAI.Images.ImageGenCompletedEvent[] = [];
      for await (const event of stream) {
        if (event.type === 'image_generation.partial_image') partials.push(event);
        if (event.type === 'image_generation.completed') completed.push(event);
      }
      expect(completed).toHaveLength(2);
      expect(partials).toHaveLength(4);
      const byImage = new Map<number, number[]>();
      for (const partial of partials) {
        const imageIndex = (partial as unknown as { image_index: number }).image_index;
        expect([0, 1]).toContain(imageIndex);
        byImage.set(imageIndex, [...(byImage.get(imageIndex) ?? []), partial.partial_image_index]);
        const image = await decode(partial.b64_json);
        expect(image.format).toBe(partial.output_format);
        expect(`${image.width}x${image.height}`).toBe(partial.size);
        expect(QUALITIES_USED).toContain(partial.quality);
      }
      expect(byImage.get(0)).toEqual([0, 1]);
      expect(byImage.get(1)).toEqual([0, 1]);
      for (const event of completed) {
        const image = await decode(event.b64_json);
        expect(image.format).toBe('webp');
        expect(event.output_format).toBe('webp');
        expect(event.size).toBe('512x512');
        expect(`${image.width}x${image.height}`).toBe('512x512');
        expectUsage(event.usage);
      }
    });

    it('should refuse a blocked prompt before the stream starts, as BadRequestError', async () => {
      const refusal = client.images.generate({ prompt: 'sexualized image of a minor', stream: true });
      await expect(refusal).rejects.toBeInstanceOf(OpenAI.BadRequestError);
      await expect(refusal).rejects.toMatchObject({ status: 400, code: 'moderation_blocked' });
    });

    it('should refuse an invalid size before the stream starts', async () => {
      const refusal = client.images.generate({ prompt: 'a red circle', stream: true, size: '999x999' as '1024x1024' });
      await expect(refusal).rejects.toMatchObject({ status: 400, param: 'size' });
    });
  });

  describe('images.edit and images.createVariation', () => {
    async function sourcePng(): Promise<Buffer> {
      // An image Lumen did not make: a red circle on white, drawn here.
      const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256"><rect width="256" height="256" fill="#ffffff"/><circle cx="128" cy="128" r="60" fill="#d01010"/></svg>';
      return sharp(Buffer.from(svg)).png().toBuffer();
    }

    it('should edit an upload without a mask, reporting its image tokens', async () => {
      const response = await client.images.edit({ image: await toFile(await sourcePng(), 'circle.png', { type: 'image/png' }), prompt: 'make the circle green' });
      expect(response.data).toHaveLength(1);
      expectUsage(response.usage);
      expect(response.usage!.input_tokens_details.image_tokens).toBeGreaterThan(0);
      const { data, info } = await sharp(Buffer.from(response.data![0]!.b64_json!, 'base64')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const offset = (Math.floor(info.height / 2) * info.width + Math.floor(info.width / 2)) * 3;
      const [r, g, b] = [data[offset]!, data[offset + 1]!, data[offset + 2]!];
      expect(g).toBeGreaterThan(r);
      expect(g).toBeGreaterThan(b);
    });

    it('should edit with a mask and every option, answering in the asked format', async () => {
      const mask = await sharp({ create: { width: 256, height: 256, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 255 } } })
        .composite([{ input: await sharp({ create: { width: 128, height: 128, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer(), left: 0, top: 0 }])
        .png()
        .toBuffer();
      const response = await client.images.edit({
        model: 'gpt-image-1',
        image: await toFile(await sourcePng(), 'circle.png', { type: 'image/png' }),
        mask: await toFile(mask, 'mask.png', { type: 'image/png' }),
        prompt: 'add a yellow star at the top left',
        n: 1,
        size: '1024x1024',
        quality: 'low',
        output_format: 'jpeg',
        output_compression: 70,
        input_fidelity: 'high',
        user: 'conformance-suite',
      });
      expect(response.output_format).toBe('jpeg');
      expect(response.quality).toBe('low');
      expect(response.size).toBe('1024x1024');
      const image = await decode(response.data![0]!.b64_json!);
      expect(image.format).toBe('jpeg');
      expect([image.width, image.height]).toEqual([1024, 1024]);
    });

    it('should stream an edit as image_edit events', async () => {
      const stream = await client.images.edit({ image: await toFile(await sourcePng(), 'circle.png', { type: 'image/png' }), prompt: 'make the circle blue', stream: true, partial_images: 1 });
      const types: string[] = [];
      for await (const event of stream) types.push(event.type);
      expect(types).toContain('image_edit.partial_image');
      expect(types.at(-1)).toBe('image_edit.completed');
    });

    it('should make n variations of an upload, distinct from each other', async () => {
      const response = await client.images.createVariation({ image: await toFile(await sourcePng(), 'circle.png', { type: 'image/png' }), n: 2, size: '256x256' });
      expect(response.data).toHaveLength(2);
      const [first] = await Promise.all(response.data!.map((item) => decode(item.b64_json!)));
      expect([first!.width, first!.height]).toEqual([256, 256]);
      expect(response.data![0]!.b64_json).not.toBe(response.data![1]!.b64_json);
      const asUrl = await client.images.createVariation({ model: 'dall-e-2', image: await toFile(await sourcePng(), 'circle.png', { type: 'image/png' }), response_format: 'url', size: '512x512' });
      expect(asUrl.data![0]!.url).toMatch(/^http/);
    });
  });

  describe('models', () => {
    it('should list and retrieve the models clients name', async () => {
      const ids: string[] = [];
      for await (const model of client.models.list()) {
        expect(model.object).toBe('model');
        expect(Number.isInteger(model.created)).toBe(true);
        expect(typeof model.owned_by).toBe('string');
        ids.push(model.id);
      }
      for (const expected of ['gpt-image-1', 'dall-e-2', 'dall-e-3']) expect(ids).toContain(expected);
      const retrieved = await client.models.retrieve('gpt-image-1');
      expect(retrieved.id).toBe('gpt-image-1');
      await expect(client.models.retrieve('no-such-model')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    });
  });

  describe('a free-tier SDK client while the queue is long', () => {
    it('should still get an ImagesResponse it can parse, never a job body', async () => {
      // Another tenant fills the queue with async work, so the free request is deferred behind it.
      const filler = new OpenAI({ apiKey: await stack.key('conformfiller', 'pro', { requestsPerMinute: 10_000, imagesPerMinute: 10_000, concurrentJobs: 100 }), baseURL: `${stack.url}/v1`, maxRetries: 0 });
      const queued = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          filler.images.generate({ prompt: `filler ${i}`, size: '256x256' }, { headers: { prefer: 'respond-async' } }).withResponse().then(({ response }) => response.status),
        ),
      );
      expect(queued.every((status) => status === 202)).toBe(true);
      const response = await freeClient.images.generate({ prompt: 'a red circle', size: '256x256' }).withResponse();
      expect(response.response.status).toBe(200);
      expect(response.data.data).toHaveLength(1);
      expect((await decode(response.data.data![0]!.b64_json!)).format).toBe('png');
    });
  });
});
