import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payloadIsValid } from '../../origin-gpu/provenance/payload.js';
import { detectWatermark } from '../../plugins/watermark-invisible/index.js';
import { pixels, startTestStack, type TestStack } from './stack.js';

describe('end to end: gateway (workerd) -> queue -> origin worker -> back', () => {
  let stack: TestStack;
  let proKey: string;

  beforeAll(async () => {
    stack = await startTestStack();
    proKey = await stack.key('e2epro', 'pro');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const generate = (body: unknown, key = proKey) =>
    fetch(`${stack.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('should render a red circle on a blue background through the real pipeline', async () => {
    const response = await generate({ prompt: 'a red circle on a blue background', size: '256x256', seed: 42 });
    if (response.status !== 200) console.error(stack.logs.slice(-40).join('\n'));
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      created: number;
      data: { b64_json: string }[];
      usage: { input_tokens: number; output_tokens: number; total_tokens: number };
      size: string;
      output_format: string;
    };
    expect(body.created).toBeGreaterThan(1_700_000_000);
    expect(body.data).toHaveLength(1);
    expect(body.size).toBe('256x256');
    expect(body.usage.output_tokens).toBeGreaterThanOrEqual(32 * 32);
    expect(body.usage.total_tokens).toBe(body.usage.input_tokens + body.usage.output_tokens);

    const png = Buffer.from(body.data[0]!.b64_json, 'base64');
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    const image = await pixels(png);
    expect([image.width, image.height]).toEqual([256, 256]);
    const [r, g, b] = image.at(128, 128);
    expect(r, 'centre is red').toBeGreaterThan(170);
    expect(g).toBeLessThan(90);
    expect(b).toBeLessThan(90);
    for (const [x, y] of [[4, 4], [251, 4], [4, 251], [251, 251]] as const) {
      const [cr, cg, cb] = image.at(x, y);
      expect(cb, `corner ${x},${y} is blue`).toBeGreaterThan(150);
      expect(cr).toBeLessThan(90);
      expect(cg).toBeLessThan(120);
    }
  });

  it('should render the same picture for the same seed, differing only by each job\'s watermark', async () => {
    const request = { prompt: 'two yellow stars on a green background', size: '256x256', seed: 9 };
    const responses = await Promise.all([generate(request), generate(request), generate({ ...request, seed: 10 })]);
    const images = await Promise.all(
      responses.map(async (response) => {
        const png = Buffer.from(((await response.json()) as { data: { b64_json: string }[] }).data[0]!.b64_json, 'base64');
        return (await sharp(png).raw().toBuffer());
      }),
    );
    const maxDifference = (a: Buffer, b: Buffer) => a.reduce((max, value, i) => Math.max(max, Math.abs(value - b[i]!)), 0);
    const watermarkKey = 0x4c756d65;
    const topPayload = (raw: Buffer) => detectWatermark({ width: 256, height: 256, channels: 3, data: raw }, watermarkKey)[0]!.payload;
    const payload = (raw: Buffer) => Buffer.from(topPayload(raw)).toString('hex');
    // Both marks shift a cell by at most 2 levels each way.
    expect(maxDifference(images[0]!, images[1]!)).toBeLessThanOrEqual(4);
    expect(payload(images[0]!)).not.toBe(payload(images[1]!));
    expect(payloadIsValid(topPayload(images[0]!))).toBe(true);
    // A different seed moves the stars: far more than the watermark.
    expect(maxDifference(images[0]!, images[2]!)).toBeGreaterThan(50);
  });

  it('should make n images in one job', async () => {
    const response = await generate({ prompt: 'a small purple square', size: '256x256', n: 2, seed: 1 });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { b64_json: string }[] };
    expect(body.data).toHaveLength(2);
    expect(body.data[0]!.b64_json).not.toBe(body.data[1]!.b64_json);
  });

  it('should refuse a missing key and bad JSON through the real runtime', async () => {
    const noKey = await fetch(`${stack.url}/v1/images/generations`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(noKey.status).toBe(401);
    expect(((await noKey.json()) as { error: { code: string } }).error.code).toBe('missing_api_key');
    const badJson = await fetch(`${stack.url}/v1/images/generations`, {
      method: 'POST',
      body: '{"prompt":',
      headers: { authorization: `Bearer ${proKey}`, 'content-type': 'application/json' },
    });
    expect(badJson.status).toBe(400);
  });

  it('should refuse a blocked prompt before any pass runs', async () => {
    const response = await generate({ prompt: 'a beheading scene with gore', size: '256x256' });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; type: string } };
    expect(error.code).toBe('moderation_blocked');
    expect(error.type).toBe('image_generation_user_error');
  });
});
