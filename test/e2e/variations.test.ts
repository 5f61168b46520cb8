import OpenAI, { toFile } from 'openai';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pixels, startTestStack, type TestStack } from './stack.js';

type Rgb = [number, number, number];
const near = (a: Rgb, b: Rgb, tolerance = 60) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]) < tolerance;
const RED: Rgb = [255, 0, 0];
const GREEN: Rgb = [38, 166, 51];
const BLUE: Rgb = [0, 0, 255];

/** A hand-drawn upload: a red circle at the top left and a blue square at the bottom right on cream. */
function drawing(side: number): Promise<Buffer> {
  const k = side / 256;
  return sharp(
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side}"><rect width="100%" height="100%" fill="#f4f0e8"/>` +
        `<circle cx="${70 * k}" cy="${70 * k}" r="${40 * k}" fill="#ff0000"/><rect x="${150 * k}" y="${150 * k}" width="${70 * k}" height="${70 * k}" fill="#0000ff"/></svg>`,
    ),
  )
    .png()
    .toBuffer();
}

type Image = Awaited<ReturnType<typeof pixels>>;

/** Share of sampled pixels (every 4th) near `colour` inside the box, in 256-px units. */
function share(image: Image, colour: Rgb, [x0, y0, x1, y1]: [number, number, number, number]): number {
  const k = image.width / 256;
  let hits = 0;
  let count = 0;
  for (let y = y0 * k; y < y1 * k; y += 4) {
    for (let x = x0 * k; x < x1 * k; x += 4) {
      count++;
      if (near(image.at(Math.floor(x), Math.floor(y)), colour)) hits++;
    }
  }
  return hits / count;
}

function meanDifference(a: Image, b: Image): number {
  let sum = 0;
  let count = 0;
  for (let y = 0; y < a.height; y += 2) {
    for (let x = 0; x < a.width; x += 2) {
      const [p, q] = [a.at(x, y), b.at(x, y)];
      sum += Math.abs(p[0] - q[0]) + Math.abs(p[1] - q[1]) + Math.abs(p[2] - q[2]);
      count += 3;
    }
  }
  return sum / count;
}

describe('uploads: edits without a mask, their usage, and variations', () => {
  let stack: TestStack;
  let key: string;
  let client: OpenAI;

  beforeAll(async () => {
    stack = await startTestStack();
    key = await stack.key('variant', 'pro');
    client = new OpenAI({ apiKey: key, baseURL: `${stack.url}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('should edit an upload with no mask by the scene read from it, and count its image tokens', async () => {
    const upload = await drawing(1024);
    const edited = await client.images.edit({ image: await toFile(upload, 'drawing.png', { type: 'image/png' }), prompt: 'make the circle green', size: '1024x1024' });
    const after = await pixels(Buffer.from(edited.data![0]!.b64_json!, 'base64'));
    expect(share(after, GREEN, [50, 50, 90, 90])).toBeGreaterThan(0.9);
    expect(share(after, BLUE, [160, 160, 210, 210])).toBeGreaterThan(0.9);
    expect(share(after, RED, [0, 0, 256, 256])).toBe(0);
    // The source's 64x64 grid, plus the prompt's text tokens.
    expect(edited.usage?.input_tokens_details.image_tokens).toBe(64 * 64);
    expect(edited.usage?.input_tokens_details.text_tokens).toBeGreaterThan(0);
    expect(edited.usage?.input_tokens).toBe(64 * 64 + edited.usage!.input_tokens_details.text_tokens);

    // A Lumen output re-encoded as JPEG is no longer recognised by its hash, and is read the same way.
    const jpeg = await sharp(Buffer.from(edited.data![0]!.b64_json!, 'base64')).jpeg({ quality: 85 }).toBuffer();
    const back = await client.images.edit({ image: await toFile(jpeg, 'green.jpg', { type: 'image/jpeg' }), prompt: 'remove the square', size: '1024x1024' });
    const removed = await pixels(Buffer.from(back.data![0]!.b64_json!, 'base64'));
    expect(share(removed, BLUE, [150, 150, 220, 220])).toBe(0);
    expect(share(removed, GREEN, [50, 50, 90, 90])).toBeGreaterThan(0.9);
  });

  it('should report the stored grid as the image tokens of an image_id edit, in a stream too', async () => {
    const generated = await client.images.generate({ prompt: 'a red circle on a white background', size: '256x256' });
    const response = await fetch(`${stack.url}/v1/images/edits`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ image_id: (generated.data![0] as { image_id: string }).image_id, prompt: 'make the circle green', stream: true }),
    });
    const text = await response.text();
    const completed = text
      .split('\n')
      .filter((line) => line.startsWith('data: ') && line.includes('image_edit.completed'))
      .map((line) => JSON.parse(line.slice(6)) as { usage: OpenAI.Images.ImagesResponse.Usage });
    expect(completed).toHaveLength(1);
    expect(completed[0]!.usage.input_tokens_details.image_tokens).toBe(64 * 64);
    expect(completed[0]!.usage.input_tokens).toBe(64 * 64 + completed[0]!.usage.input_tokens_details.text_tokens);
    expect(generated.usage?.input_tokens_details.image_tokens).toBe(0);
  });

  it("should make n variations through the SDK's createVariation: the same scene, differing from each other and the source", async () => {
    const upload = await drawing(512);
    const result = await client.images.createVariation({ image: await toFile(upload, 'drawing.png', { type: 'image/png' }), n: 3, size: '512x512', model: 'dall-e-2' });
    expect(result.data).toHaveLength(3);
    expect(result.usage?.input_tokens_details.image_tokens).toBe(64 * 64);
    const source = await pixels(upload);
    const images = await Promise.all(result.data!.map((item) => pixels(Buffer.from(item.b64_json!, 'base64'))));
    for (const image of images) {
      expect([image.width, image.height]).toEqual([512, 512]);
      // Recognisably the same: a red circle around the top left, a blue square around the bottom right.
      expect(share(image, RED, [55, 55, 85, 85])).toBeGreaterThan(0.8);
      expect(share(image, BLUE, [165, 165, 205, 205])).toBeGreaterThan(0.8);
      expect(meanDifference(image, source)).toBeGreaterThan(0.3);
    }
    expect(meanDifference(images[0]!, images[1]!)).toBeGreaterThan(0.3);
    expect(meanDifference(images[1]!, images[2]!)).toBeGreaterThan(0.3);

    const urls = await client.images.createVariation({ image: await toFile(upload, 'drawing.png', { type: 'image/png' }), size: '256x256', response_format: 'url' });
    expect((await fetch(urls.data![0]!.url!)).status).toBe(200);
  });

  it('should vary a photo it cannot read, still as an image', async () => {
    const noise = Buffer.alloc(256 * 256 * 3);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919) % 251;
    const photo = await sharp(noise, { raw: { width: 256, height: 256, channels: 3 } }).jpeg().toBuffer();
    const result = await client.images.createVariation({ image: await toFile(photo, 'photo.jpg', { type: 'image/jpeg' }), n: 2, size: '256x256' });
    const [a, b] = await Promise.all(result.data!.map((item) => pixels(Buffer.from(item.b64_json!, 'base64'))));
    expect(meanDifference(a!, b!)).toBeGreaterThan(0.3);
  });

  it('should answer bad variation requests with 400 in the OpenAI shape', async () => {
    const upload = await drawing(256);
    const post = (fields: Record<string, string>, file?: { bytes: Buffer; type: string }) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      if (file) form.append('image', new Blob([file.bytes], { type: file.type }), 'upload');
      return fetch(`${stack.url}/v1/images/variations`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
    };
    const cases: [Promise<Response>, string, string][] = [
      [post({ n: '1' }), 'image', 'missing_required_parameter'],
      [post({}, { bytes: Buffer.from('not an image at all'), type: 'text/plain' }), 'image', 'invalid_image'],
      [post({ n: '11' }, { bytes: upload, type: 'image/png' }), 'n', 'invalid_value'],
      [post({ n: '0' }, { bytes: upload, type: 'image/png' }), 'n', 'invalid_value'],
      [post({ size: '1536x1024' }, { bytes: upload, type: 'image/png' }), 'size', 'invalid_value'],
      [post({ prompt: 'a cat' }, { bytes: upload, type: 'image/png' }), 'prompt', 'invalid_request_error'],
    ];
    for (const [response, param, code] of cases) {
      const answer = await response;
      expect(answer.status, `${param} ${code}`).toBe(400);
      const body = (await answer.json()) as { error: { message: string; type: string; param: string | null; code: string | null } };
      expect(body.error.param).toBe(param);
      expect(body.error.type).toBe('invalid_request_error');
      if (code !== 'invalid_request_error') expect(body.error.code).toBe(code);
    }
    await expect(client.images.createVariation({ image: await toFile(upload, 'drawing.png', { type: 'image/png' }), size: '128x128' as '256x256' })).rejects.toMatchObject({
      status: 400,
      param: 'size',
    });
  });
});
