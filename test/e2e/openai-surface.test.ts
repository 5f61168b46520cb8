import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pixels, startTestStack, type TestStack } from './stack.js';

const REQUEST_ID = /^req_[0-9a-f]{32}$/;

describe('the official openai SDK: models, request ids and DALL·E-era values', () => {
  let stack: TestStack;
  let client: OpenAI;

  beforeAll(async () => {
    stack = await startTestStack();
    client = new OpenAI({ apiKey: await stack.key('surfacepro', 'pro'), baseURL: `${stack.url}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('should list the models with models.list() and fetch one with models.retrieve()', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) {
      expect(model).toMatchObject({ object: 'model', owned_by: 'lumen' });
      expect(typeof model.created).toBe('number');
      ids.push(model.id);
    }
    expect(ids).toEqual(expect.arrayContaining(['lumen/progressive-decoder', 'gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5', 'chatgpt-image-latest', 'dall-e-2', 'dall-e-3']));
    // The SDK sends the pack id's slash as %2F.
    expect(await client.models.retrieve('lumen/progressive-decoder')).toMatchObject({ id: 'lumen/progressive-decoder', object: 'model' });
    const alias = await client.models.retrieve('gpt-image-1');
    expect(alias.id).toBe('gpt-image-1');
    expect(alias._request_id).toMatch(REQUEST_ID);
    await expect(client.models.retrieve('no-such-model')).rejects.toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
  });

  it('should refuse an unknown model on generations and edits as a NotFoundError that carries its request id', async () => {
    const refused = await client.images.generate({ model: 'no-such-model', prompt: 'a red circle' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.NotFoundError);
    expect(refused).toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
    expect((refused as InstanceType<typeof OpenAI.NotFoundError>).requestID).toMatch(REQUEST_ID);
    const upload = await OpenAI.toFile(Buffer.from('not read'), 'canvas.png', { type: 'image/png' });
    await expect(client.images.edit({ model: 'no-such-model', image: upload, prompt: 'make it green' })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
  });

  it('should expose x-request-id as _request_id, keeping an id the client sent', async () => {
    const { request_id, response } = await client.models.list().withResponse();
    expect(request_id).toMatch(REQUEST_ID);
    expect(response.headers.get('openai-processing-ms')).toMatch(/^\d+$/);
    const mine = await client.models.list({ headers: { 'x-request-id': 'client-trace-7' } }).withResponse();
    expect(mine.request_id).toBe('client-trace-7');
    const anonymous = new OpenAI({ apiKey: 'lk_nobody_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', baseURL: `${stack.url}/v1`, maxRetries: 0 });
    const unauthorised = await anonymous.models.list().catch((error: unknown) => error);
    expect(unauthorised).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((unauthorised as InstanceType<typeof OpenAI.AuthenticationError>).requestID).toMatch(REQUEST_ID);
  });

  it('should render a DALL·E 3 request at the nearest supported size and quality, and say so', async () => {
    const result = await client.images.generate({ model: 'dall-e-3', prompt: 'a red circle on a blue background', size: '1792x1024', quality: 'standard', style: 'vivid' });
    expect(result._request_id).toMatch(REQUEST_ID);
    expect(result.size).toBe('1536x1024');
    expect(result.quality).toBe('medium');
    const image = await pixels(Buffer.from(result.data![0]!.b64_json!, 'base64'));
    expect([image.width, image.height]).toEqual([1536, 1024]);
  });
});
