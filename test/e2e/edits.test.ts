import OpenAI, { toFile } from 'openai';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from './stack.js';

interface Rgb {
  width: number;
  height: number;
  data: Buffer;
}

async function rgb(bytes: Buffer): Promise<Rgb> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

const at = (image: Rgb, x: number, y: number): [number, number, number] => {
  const offset = (y * image.width + x) * 3;
  return [image.data[offset]!, image.data[offset + 1]!, image.data[offset + 2]!];
};

/** Mean absolute difference per channel over the pixels where `inside(x, y)` holds. */
function meanDifference(a: Rgb, b: Rgb, inside: (x: number, y: number) => boolean): number {
  let sum = 0;
  let count = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      if (!inside(x, y)) continue;
      const offset = (y * a.width + x) * 3;
      for (let c = 0; c < 3; c++) sum += Math.abs(a.data[offset + c]! - b.data[offset + c]!);
      count += 3;
    }
  }
  return sum / count;
}

// Outputs differ by their own invisible watermarks (a few levels), so "unchanged" means within that.
const STABLE = 2.5;

const isGreen = ([r, g, b]: [number, number, number]) => g > 120 && r < 120 && b < 120;
const isRed = ([r, g, b]: [number, number, number]) => r > 170 && g < 90 && b < 90;
const isYellow = ([r, g, b]: [number, number, number]) => r > 170 && g > 150 && b < 110;
const isWhite = ([r, g, b]: [number, number, number]) => r > 220 && g > 220 && b > 220;

describe('end to end: edits reuse tokens and change only what they should', () => {
  let stack: TestStack;
  let key: string;
  let client: OpenAI;

  beforeAll(async () => {
    stack = await startTestStack();
    key = await stack.key('editor', 'pro');
    client = new OpenAI({ apiKey: key, baseURL: `${stack.url}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const post = (path: string, body: unknown) =>
    fetch(`${stack.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  async function expectOk(response: Response): Promise<{ data: { b64_json: string; image_id: string }[] }> {
    if (response.status !== 200) console.error(response.status, await response.clone().text(), stack.logs.slice(-30).join('\n'));
    expect(response.status).toBe(200);
    return (await response.json()) as { data: { b64_json: string; image_id: string }[] };
  }

  // The circle sits in the middle; the star goes to the top-left quarter; the bottom-right corner is never touched.
  const inCircle = (x: number, y: number) => Math.hypot(x - 128, y - 128) < 30;
  const farFromEverything = (x: number, y: number) => x > 200 && y > 200;

  it('should iterate by image_id: generate, "make the circle green", "add a yellow star at the top left"', async () => {
    const first = await expectOk(await post('/v1/images/generations', { prompt: 'a red circle on a white background', size: '256x256', seed: 7 }));
    const original = await rgb(Buffer.from(first.data[0]!.b64_json, 'base64'));
    expect(isRed(at(original, 128, 128))).toBe(true);

    const second = await expectOk(await post('/v1/images/edits', { image_id: first.data[0]!.image_id, prompt: 'make the circle green', seed: 7 }));
    const green = await rgb(Buffer.from(second.data[0]!.b64_json, 'base64'));
    expect([green.width, green.height]).toEqual([256, 256]);
    expect(isGreen(at(green, 128, 128)), `centre ${at(green, 128, 128)}`).toBe(true);
    expect(meanDifference(original, green, (x, y) => !inCircle(x, y) && Math.hypot(x - 128, y - 128) > 70)).toBeLessThan(STABLE);

    const third = await expectOk(await post('/v1/images/edits', { image_id: second.data[0]!.image_id, prompt: 'add a yellow star at the top left', seed: 7 }));
    const starred = await rgb(Buffer.from(third.data[0]!.b64_json, 'base64'));
    let yellow = 0;
    for (let y = 0; y < 100; y += 2) for (let x = 0; x < 100; x += 2) if (isYellow(at(starred, x, y))) yellow++;
    expect(yellow, 'yellow pixels in the top-left quarter').toBeGreaterThan(50);
    expect(isGreen(at(starred, 128, 128))).toBe(true);
    expect(meanDifference(green, starred, inCircle)).toBeLessThan(STABLE);
    expect(meanDifference(green, starred, farFromEverything)).toBeLessThan(STABLE);
    expect(isWhite(at(starred, 240, 240))).toBe(true);
  });

  it("should run the same chain through the official SDK's images.edit", async () => {
    const generated = await client.images.generate({ prompt: 'a red circle on a white background', size: '256x256' } as OpenAI.Images.ImageGenerateParamsNonStreaming);
    const firstBytes = Buffer.from(generated.data![0]!.b64_json!, 'base64');
    const edited = await client.images.edit({ image: await toFile(firstBytes, 'circle.png', { type: 'image/png' }), prompt: 'make the circle green' });
    const greenBytes = Buffer.from(edited.data![0]!.b64_json!, 'base64');
    const green = await rgb(greenBytes);
    expect(isGreen(at(green, 128, 128))).toBe(true);
    expect(meanDifference(await rgb(firstBytes), green, farFromEverything)).toBeLessThan(STABLE);

    const starred = await client.images.edit({ image: await toFile(greenBytes, 'green.png', { type: 'image/png' }), prompt: 'add a yellow star at the top left' });
    const final = await rgb(Buffer.from(starred.data![0]!.b64_json!, 'base64'));
    expect(isGreen(at(final, 128, 128))).toBe(true);
    expect(meanDifference(green, final, farFromEverything)).toBeLessThan(STABLE);
  });

  it('should stream an edit as image_edit events', async () => {
    const generated = await expectOk(await post('/v1/images/generations', { prompt: 'a blue square on a white background', size: '256x256' }));
    const response = await post('/v1/images/edits', { image_id: generated.data[0]!.image_id, prompt: 'make the square red', stream: true, partial_images: 1 });
    const text = await response.text();
    expect(text).toContain('event: image_edit.partial_image');
    expect(text).toContain('event: image_edit.completed');
    expect(text).not.toContain('image_generation.');
  });

  it('should edit an uploaded image that Lumen did not make, only inside the mask, and watermark the result as its own', async () => {
    const photo = await sharp({ create: { width: 256, height: 256, channels: 3, background: { r: 40, g: 90, b: 200 } } }).png().toBuffer();
    // Alpha 0 (editable) in the top-left quarter only.
    const alpha = Buffer.alloc(256 * 256 * 4, 255);
    for (let y = 0; y < 128; y++) for (let x = 0; x < 128; x++) alpha[(y * 256 + x) * 4 + 3] = 0;
    const mask = await sharp(alpha, { raw: { width: 256, height: 256, channels: 4 } }).png().toBuffer();
    const form = new FormData();
    form.append('image', new Blob([photo], { type: 'image/png' }), 'photo.png');
    form.append('mask', new Blob([mask], { type: 'image/png' }), 'mask.png');
    form.append('prompt', 'a big yellow star');
    const response = await fetch(`${stack.url}/v1/images/edits`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
    const body = await expectOk(response);
    const output = await rgb(Buffer.from(body.data[0]!.b64_json, 'base64'));
    const input = await rgb(photo);
    // Outside the mask, the upload survives up to the token codec's rounding plus the watermark.
    expect(meanDifference(input, output, (x, y) => x >= 144 || y >= 144)).toBeLessThan(12);
    let yellow = 0;
    for (let y = 0; y < 128; y += 2) for (let x = 0; x < 128; x += 2) if (isYellow(at(output, x, y))) yellow++;
    expect(yellow).toBeGreaterThan(20);

    const verify = await fetch(`${stack.url}/v1/provenance/verify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'image/png' },
      body: Buffer.from(body.data[0]!.b64_json, 'base64'),
    });
    expect(((await verify.json()) as { made_by_lumen: boolean }).made_by_lumen).toBe(true);
  });

  it('should edit a data-URL image with a data-URL mask (the JSON form), only inside the mask', async () => {
    const photo = await sharp({ create: { width: 256, height: 256, channels: 3, background: { r: 40, g: 90, b: 200 } } }).png().toBuffer();
    const alpha = Buffer.alloc(256 * 256 * 4, 255);
    for (let y = 0; y < 128; y++) for (let x = 0; x < 128; x++) alpha[(y * 256 + x) * 4 + 3] = 0;
    const mask = await sharp(alpha, { raw: { width: 256, height: 256, channels: 4 } }).png().toBuffer();
    const dataUrl = (bytes: Buffer) => `data:image/png;base64,${bytes.toString('base64')}`;
    const body = await expectOk(await post('/v1/images/edits', { images: [{ image_url: dataUrl(photo) }], mask: { image_url: dataUrl(mask) }, prompt: 'a big yellow star' }));
    const output = await rgb(Buffer.from(body.data[0]!.b64_json, 'base64'));
    expect([output.width, output.height]).toEqual([256, 256]);
    expect(meanDifference(await rgb(photo), output, (x, y) => x >= 144 || y >= 144)).toBeLessThan(12);
    let yellow = 0;
    for (let y = 0; y < 128; y += 2) for (let x = 0; x < 128; x += 2) if (isYellow(at(output, x, y))) yellow++;
    expect(yellow).toBeGreaterThan(20);
  });

  it('should answer a corrupt upload with a clear 400', async () => {
    const valid = await sharp({ create: { width: 256, height: 256, channels: 3, background: '#336699' } }).png().toBuffer();
    const form = new FormData();
    form.append('image', new Blob([valid.subarray(0, 60)], { type: 'image/png' }), 'broken.png');
    form.append('prompt', 'make it red');
    const response = await fetch(`${stack.url}/v1/images/edits`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { type: string; code: string; param: string } };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_image', param: 'image' });
  });
});
