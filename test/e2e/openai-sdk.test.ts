import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pixels, startTestStack, type TestStack } from './stack.js';

describe('the official openai SDK, pointed at the gateway by baseURL only', () => {
  let stack: TestStack;
  let client: OpenAI;

  beforeAll(async () => {
    stack = await startTestStack();
    client = new OpenAI({ apiKey: await stack.key('sdkpro', 'pro'), baseURL: `${stack.url}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('should generate an image', async () => {
    const result = await client.images.generate({ model: 'gpt-image-1', prompt: 'a red circle on a blue background', size: '1024x1024', quality: 'low' });
    expect(result.data).toHaveLength(1);
    const image = await pixels(Buffer.from(result.data![0]!.b64_json!, 'base64'));
    expect(image.width).toBe(1024);
    const [r, g, b] = image.at(512, 512);
    expect(r).toBeGreaterThan(170);
    expect(g + b).toBeLessThan(180);
    expect(result.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('should stream partial images, blurry to crisp, then the completed image', async () => {
    const stream = await client.images.generate({
      model: 'gpt-image-1',
      prompt: 'a yellow star on a purple background',
      size: '1024x1024',
      stream: true,
      partial_images: 2,
    });
    const events: OpenAI.Images.ImageGenStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const partials = events.filter((event): event is OpenAI.Images.ImageGenPartialImageEvent => event.type === 'image_generation.partial_image');
    expect(partials.map((event) => event.partial_image_index)).toEqual([0, 1]);
    const completed = events.filter((event): event is OpenAI.Images.ImageGenCompletedEvent => event.type === 'image_generation.completed');
    expect(completed).toHaveLength(1);
    expect(events.at(-1)?.type).toBe('image_generation.completed');
    const final = await pixels(Buffer.from(completed[0]!.b64_json, 'base64'));
    expect(final.width).toBe(1024);
    for (const partial of partials) {
      const preview = await pixels(Buffer.from(partial.b64_json, 'base64'));
      expect(Math.max(preview.width, preview.height)).toBeLessThanOrEqual(256);
    }
  });

  it('should return signed URLs that expire, and refuse tampered ones', async () => {
    const result = await client.images.generate({ prompt: 'a green square', size: '256x256', response_format: 'url' });
    const url = new URL(result.data![0]!.url!);
    const image = await fetch(url);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(Number(url.searchParams.get('expires')) - Date.now() / 1000).toBeGreaterThan(59 * 60);
    url.searchParams.set('signature', '0'.repeat(64));
    expect((await fetch(url)).status).toBe(403);
  });

  it('should surface gateway errors as the SDK\'s typed errors', async () => {
    const anonymous = new OpenAI({ apiKey: 'lk_nobody_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', baseURL: `${stack.url}/v1`, maxRetries: 0 });
    await expect(anonymous.images.generate({ prompt: 'x' })).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
    await expect(client.images.generate({ prompt: 'a gore scene' })).rejects.toMatchObject({ status: 400, code: 'moderation_blocked' });
  });
});
