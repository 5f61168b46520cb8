// A client that did not opt into async (the official SDK) on the free tier while
// the queue is long: held at the edge, never a 202. (A hang-up's cancel is tested in workerd,
// test/gateway/answers.test.ts: wrangler dev's local proxy does not pass a client's disconnect on to the worker.)
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pixels, startTestStack, type TestStack } from './stack.js';

const LIFTED = { requestsPerMinute: 1_000, imagesPerMinute: 1_000, concurrentJobs: 100 };

describe('end to end: held requests', () => {
  let stack: TestStack;

  beforeAll(async () => {
    // One shard, so six queued jobs ahead make a wait of more than 10 s for sure (an unmeasured shard assumes 2 s a job);
    // no origin yet, so nothing leaves the queue until the test says so; and a short silent hold.
    stack = await startTestStack({ origins: 0, vars: { QUEUE_SHARDS: '1', HOLD_SILENT_MS: '1000', HOLD_KEEPALIVE_MS: '500' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const generate = (key: string, body: unknown, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    fetch(`${stack.url}/v1/images/generations`, {
      ...init,
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers },
      body: JSON.stringify(body),
    });

  it("should resolve the SDK's images.generate to an ImagesResponse, and send spaces before the JSON while the job waits", async () => {
    const filler = await stack.key('filler', 'pro', LIFTED);
    for (let i = 0; i < 6; i++) expect((await generate(filler, { prompt: `filler ${i}`, size: '256x256' }, { headers: { prefer: 'respond-async' } })).status).toBe(202);

    const client = new OpenAI({ apiKey: await stack.key('sdkfree', 'free', LIFTED), baseURL: `${stack.url}/v1`, maxRetries: 0 });
    const viaSdk = client.images.generate({ prompt: 'a red circle on a blue background', size: '256x256' }).withResponse();
    const raw = await generate(await stack.key('rawfree', 'free', LIFTED), { prompt: 'a red circle on a blue background', size: '256x256' });
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-type')).toMatch(/^application\/json/);
    expect(raw.headers.get('lumen-admission')).toBe('deferred');
    expect(raw.headers.get('lumen-job-id')).toMatch(/^job_/);
    const reader = raw.body!.getReader();
    let text = new TextDecoder().decode((await reader.read()).value);
    expect(text).toMatch(/^ +$/);

    // Now the queue moves: the paid jobs first, then the held free ones.
    await stack.addOrigin('origin-1');
    const { data: result, response } = await viaSdk;
    expect(response.status).toBe(200);
    expect(response.headers.get('lumen-admission')).toBe('deferred');
    expect(result.data).toHaveLength(1);
    const image = await pixels(Buffer.from(result.data![0]!.b64_json!, 'base64'));
    expect([image.width, image.height]).toEqual([256, 256]);
    const [r, g, b] = image.at(128, 128);
    expect(r).toBeGreaterThan(170);
    expect(g + b).toBeLessThan(180);

    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += new TextDecoder().decode(chunk.value);
    expect(text).toMatch(/^ +\{"created"/);
    const body = JSON.parse(text) as OpenAI.Images.ImagesResponse;
    expect(body.data?.[0]?.b64_json?.length).toBeGreaterThan(100);
  });
});
