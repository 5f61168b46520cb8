// OpenAI parity of what an answer says about its image: `background`
// (transparent really has alpha), `quality` (auto answered as what it rendered)
// and partial images (their event fields describe the bytes they carry).
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from './stack.js';

interface ImagesBody {
  data: { b64_json: string; image_id: string }[];
  background: string;
  quality: string;
  output_format: string;
  size: string;
}

interface StreamEvent {
  type: string;
  b64_json?: string;
  size?: string;
  output_format?: string;
  quality?: string;
  background?: string;
}

/** The alpha plane of an image, with what sharp reads from its header. */
async function alphaOf(b64: string): Promise<{ format: string | undefined; channels: number | undefined; hasAlpha: boolean | undefined; width: number; height: number; at(x: number, y: number): number }> {
  const bytes = Buffer.from(b64, 'base64');
  const metadata = await sharp(bytes).metadata();
  const { data, info } = await sharp(bytes).ensureAlpha().extractChannel(3).raw().toBuffer({ resolveWithObject: true });
  return { format: metadata.format, channels: metadata.channels, hasAlpha: metadata.hasAlpha, width: info.width, height: info.height, at: (x, y) => data[y * info.width + x]! };
}

function eventsOf(text: string): StreamEvent[] {
  return text
    .split('\n\n')
    .map((block) => block.split('\n').find((line) => line.startsWith('data: ')))
    .filter((line): line is string => line !== undefined)
    .map((line) => JSON.parse(line.slice('data: '.length)) as StreamEvent);
}

describe('end to end: background, quality and partial images as OpenAI reports them', () => {
  let stack: TestStack;
  let key: string;

  beforeAll(async () => {
    stack = await startTestStack();
    key = await stack.key('e2ebackground', 'pro');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const post = (path: string, body: unknown) =>
    fetch(`${stack.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it.each(['png', 'webp'] as const)('should render a transparent %s: alpha 0 in the background, 255 inside the object', async (format) => {
    const response = await post('/v1/images/generations', { prompt: 'a huge red circle on a blue background', size: '256x256', background: 'transparent', output_format: format, seed: 9 });
    if (response.status !== 200) console.error(stack.logs.slice(-40).join('\n'));
    expect(response.status).toBe(200);
    const body = (await response.json()) as ImagesBody;
    expect([body.background, body.output_format]).toEqual(['transparent', format]);
    const image = await alphaOf(body.data[0]!.b64_json);
    expect([image.format, image.channels, image.hasAlpha, image.width, image.height]).toEqual([format, 4, true, 256, 256]);
    expect(image.at(128, 128), 'inside the circle').toBe(255);
    for (const [x, y] of [[2, 2], [253, 2], [2, 253], [253, 253]] as const) expect(image.at(x, y), `corner ${x},${y}`).toBe(0);

    // Editing that output by its id keeps the background clear.
    const edit = await post('/v1/images/edits', { image_id: body.data[0]!.image_id, prompt: 'make the circle green', background: 'transparent', output_format: format });
    expect(edit.status).toBe(200);
    const edited = (await edit.json()) as ImagesBody;
    expect(edited.background).toBe('transparent');
    const editedImage = await alphaOf(edited.data[0]!.b64_json);
    expect([editedImage.at(128, 128), editedImage.at(2, 2)]).toEqual([255, 0]);
  });

  it('should answer background auto and opaque as opaque, without an alpha channel', async () => {
    for (const background of ['auto', 'opaque', undefined]) {
      const response = await post('/v1/images/generations', { prompt: 'a red circle', size: '256x256', ...(background && { background }) });
      expect(response.status).toBe(200);
      const body = (await response.json()) as ImagesBody;
      expect(body.background).toBe('opaque');
      expect((await alphaOf(body.data[0]!.b64_json)).channels).toBe(3);
    }
  });

  it('should refuse a transparent jpeg with a 400 naming background, as OpenAI does, for generations and edits', async () => {
    for (const path of ['/v1/images/generations', '/v1/images/edits']) {
      const response = await post(path, { prompt: 'a red circle', image_id: path.endsWith('edits') ? 'img_none_0' : undefined, background: 'transparent', output_format: 'jpeg' });
      expect(response.status, path).toBe(400);
      const { error } = (await response.json()) as { error: { param: string; code: string; type: string; message: string } };
      expect([error.param, error.code, error.type]).toEqual(['background', 'invalid_value', 'invalid_request_error']);
      expect(error.message).toContain('jpeg');
    }
  });

  it('should answer quality auto (or none) as the quality it rendered, and echo a concrete one', async () => {
    for (const [asked, answered] of [['auto', 'high'], [undefined, 'high'], ['low', 'low'], ['medium', 'medium']] as const) {
      const response = await post('/v1/images/generations', { prompt: 'a blue square', size: '256x256', ...(asked && { quality: asked }) });
      expect(response.status).toBe(200);
      expect(((await response.json()) as ImagesBody).quality, String(asked)).toBe(answered);
    }
  });

  it('should stream partials whose size and output_format describe their bytes, alpha kept, and completed events that report what was rendered', async () => {
    const response = await post('/v1/images/generations', {
      prompt: 'a huge red circle on a blue background',
      size: '1536x1024',
      output_format: 'png',
      background: 'transparent',
      stream: true,
      partial_images: 2,
    });
    expect(response.status).toBe(200);
    const events = eventsOf(await response.text());
    const partials = events.filter((event) => event.type === 'image_generation.partial_image');
    expect(partials).toHaveLength(2);
    for (const partial of partials) {
      const image = await alphaOf(partial.b64_json!);
      expect(partial.output_format).toBe(image.format);
      expect(partial.size).toBe(`${image.width}x${image.height}`);
      expect([partial.quality, partial.background]).toEqual(['high', 'transparent']);
      expect(image.hasAlpha).toBe(true);
      expect([image.at(image.width >> 1, image.height >> 1), image.at(1, 1)]).toEqual([255, 0]);
    }
    const [completed] = events.filter((event) => event.type === 'image_generation.completed');
    const final = await alphaOf(completed!.b64_json!);
    expect([completed!.output_format, completed!.size, completed!.quality, completed!.background]).toEqual([final.format, `${final.width}x${final.height}`, 'high', 'transparent']);
  });
});
