// /openapi.json against a standard OpenAPI 3.1 validator, and real answers of
// every public route (successes, errors, streams) against the document.
import { Validator } from '@seriousme/openapi-schema-validator';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentedRoutes } from '../../gateway/openapi.js';
import { expectMatchesOpenApi, expectResponseMatchesOpenApi, openApi, parseSse, pathTemplateOf } from './openapi-check.js';
import { startTestStack, type TestStack } from './stack.js';

/** Every (route, status) a checked answer had, to prove the coverage at the end. */
const answered = new Map<string, Set<number>>();

describe('the OpenAPI document', () => {
  it('should be a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(structuredClone(openApi) as unknown as Record<string, unknown>);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 1)?.slice(0, 2000)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(openApi.openapi).toBe('3.1.0');
  });

  it('should mark what is Lumen\'s own as an extension and keep OpenAI\'s fields unmarked', () => {
    const schemas = openApi.components?.schemas as Record<string, { properties?: Record<string, Record<string, unknown>> }>;
    const request = schemas.CreateImageRequest!.properties!;
    expect(request.seed!['x-lumen-extension']).toBe(true);
    expect(request.webhook_url!['x-lumen-extension']).toBe(true);
    expect(request.prompt!['x-lumen-extension']).toBeUndefined();
    expect(openApi.paths?.['/v1/images/jobs/{id}']?.get?.['x-lumen-extension']).toBe(true);
    expect(openApi.paths?.['/v1/images/generations']?.post?.['x-lumen-extension']).toBeUndefined();
    const categories = (schemas.ModerationResponse!.properties!.results as { items: { properties: { categories: { properties: Record<string, Record<string, unknown>> } } } }).items.properties.categories.properties;
    expect(categories['sexual/deepfake']!['x-lumen-extension']).toBe(true);
    expect(categories.hate!['x-lumen-extension']).toBeUndefined();
  });

  it('should refuse answers it does not describe', () => {
    expect(() => expectMatchesOpenApi('GET', '/healthz', 200, 'application/json', { ok: true })).not.toThrow();
    expect(() => expectMatchesOpenApi('GET', '/healthz', 200, 'application/json', { ok: 'yes' })).toThrow(/does not match/);
    expect(() => expectMatchesOpenApi('GET', '/healthz', 418, 'application/json', {})).toThrow(/does not list/);
    expect(() => expectMatchesOpenApi('GET', '/healthz', 200, 'text/plain', 'ok')).toThrow(/lists application\/json/);
    expect(() => expectMatchesOpenApi('GET', '/v1/nothing', 200, 'application/json', {})).toThrow(/not in the OpenAPI document/);
    const stream = 'event: image_generation.completed\ndata: {"type":"image_generation.partial_image"}\n\n';
    expect(() => expectMatchesOpenApi('POST', '/v1/images/generations', 200, 'text/event-stream', stream)).toThrow();
    expect(pathTemplateOf('/v1/images/jobs/job_1/images/0')).toBe('/v1/images/jobs/{id}/images/{index}');
    expect(pathTemplateOf('/v1/files/images/t/a.png')).toBe('/v1/files/{key}');
  });
});

describe('end to end: every answer matches the OpenAPI document', () => {
  let stack: TestStack;
  let key: string;

  /** Sends a request, checks its answer against the document, and returns it with its body read. */
  async function call(method: string, path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; json: any; text: string }> {
    const response = await fetch(`${stack.url}${path}`, { method, ...init });
    await expectResponseMatchesOpenApi(method, response);
    const template = pathTemplateOf(new URL(response.url).pathname)!;
    const key = `${method} ${template}`;
    answered.set(key, (answered.get(key) ?? new Set()).add(response.status));
    const text = await response.text();
    const json = (response.headers.get('content-type') ?? '').includes('application/json') ? (JSON.parse(text) as unknown) : undefined;
    return { status: response.status, headers: response.headers, json, text };
  }

  const auth = (apiKey = key) => ({ authorization: `Bearer ${apiKey}` });
  const jsonInit = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
    headers: { ...auth(), 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const small = { prompt: 'a red circle on a white background', size: '256x256', quality: 'low' };

  beforeAll(async () => {
    // No origin at first: jobs stay queued (cancel, queue_full) and the origin API is down (503). One shard, one queued job per paid tier.
    stack = await startTestStack({ origins: 0, vars: { QUEUE_SHARDS: '1', QUEUE_LIMIT_PAID: '1' } });
    key = await stack.key('openapiplus', 'plus');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('should serve the document it was built from, and the reference page, without a key', async () => {
    const served = await call('GET', '/openapi.json');
    expect(served.status).toBe(200);
    expect(served.json).toEqual(JSON.parse(JSON.stringify(openApi)));
    const docs = await call('GET', '/docs');
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('/openapi.json');
    expect((await call('GET', '/healthz')).status).toBe(200);
  });

  it('should answer queued jobs, cancels and a full queue as documented while no origin runs', async () => {
    expect((await call('GET', '/.well-known/lumen-provenance.json')).status).toBe(503);
    const queued = await call('POST', '/v1/images/generations', jsonInit(small, { prefer: 'respond-async' }));
    expect(queued.status).toBe(202);
    const full = await call('POST', '/v1/images/generations', jsonInit(small, { prefer: 'respond-async' }));
    expect(full.status).toBe(503);
    expect((await call('GET', `/v1/images/jobs/${queued.json.id}`, { headers: auth() })).json.status).toBe('queued');
    expect((await call('POST', `/v1/images/jobs/${queued.json.id}/cancel`, { headers: auth() })).status).toBe(200);
    expect((await call('POST', `/v1/images/jobs/${queued.json.id}/cancel`, { headers: auth() })).status).toBe(409);
    const events = await call('GET', `/v1/images/jobs/${queued.json.id}/events`, { headers: auth() });
    expect(parseSse(events.text).map((event) => event.event)).toEqual(['queued', 'cancelled']);
    await stack.addOrigin('origin-1');
  });

  it('should answer generations as documented: JSON, URL, stream, job views and files', async () => {
    const generated = await call('POST', '/v1/images/generations', jsonInit({ ...small, seed: 3 }, { 'idempotency-key': 'openapi-1' }));
    expect(generated.status).toBe(200);
    expect((await call('POST', '/v1/images/generations', jsonInit({ ...small, seed: 4 }, { 'idempotency-key': 'openapi-1' }))).status).toBe(422);
    const jobId = generated.headers.get('lumen-job-id')!;

    const linked = await call('POST', '/v1/images/generations', jsonInit({ ...small, response_format: 'url' }));
    expect(linked.status).toBe(200);
    const url = new URL(linked.json.data[0].url as string);
    expect((await call('GET', `${url.pathname}${url.search}`)).status).toBe(200);
    expect((await call('GET', `${url.pathname}${url.search.replace(/signature=[^&]+/, 'signature=AAAA')}`)).status).toBe(403);

    const streamed = await call('POST', '/v1/images/generations', jsonInit({ ...small, stream: true, partial_images: 2 }));
    expect(streamed.status).toBe(200);
    const names = parseSse(streamed.text).map((event) => event.event);
    expect(names).toContain('image_generation.partial_image');
    expect(names.at(-1)).toBe('image_generation.completed');

    expect((await call('GET', `/v1/images/jobs/${jobId}`, { headers: { ...auth(), prefer: 'wait=5' } })).json.status).toBe('succeeded');
    const events = await call('GET', `/v1/images/jobs/${jobId}/events`, { headers: auth() });
    expect(parseSse(events.text).at(-1)?.event).toBe('completed');
    expect((await call('GET', `/v1/images/jobs/${streamed.headers.get('lumen-job-id')}/events`, { headers: auth() })).text).toContain('event: partial_image');
    expect((await call('GET', `/v1/images/jobs/${jobId}/images/0`, { headers: auth() })).status).toBe(200);
    expect((await call('GET', `/v1/images/jobs/${jobId}/images/7`, { headers: auth() })).status).toBe(404);
    expect((await call('GET', '/v1/images/jobs/job_0_nothing', { headers: auth() })).status).toBe(404);
    expect((await call('GET', '/v1/images/jobs/job_0_nothing/events', { headers: auth() })).status).toBe(404);
    expect((await call('POST', `/v1/images/jobs/${jobId}/cancel`, { headers: auth() })).status).toBe(409);
  });

  it('should answer bad generation requests as documented', async () => {
    expect((await call('POST', '/v1/images/generations', jsonInit({ ...small, colour: 'red' }))).status).toBe(400);
    expect((await call('POST', '/v1/images/generations', jsonInit({ ...small, n: 99 }))).status).toBe(400);
    expect((await call('POST', '/v1/images/generations', { ...jsonInit(small), headers: { ...auth('lk_nobody_x'), 'content-type': 'application/json' } })).status).toBe(401);
    expect((await call('POST', '/v1/images/generations', jsonInit({ ...small, prompt: 'x'.repeat(70 * 1024) }))).status).toBe(413);
    const limited = await stack.key('openapilimited', 'plus', { requestsPerMinute: 1, readsPerMinute: 1 });
    const limitedInit = (body: unknown) => ({ ...jsonInit(body), headers: { ...auth(limited), 'content-type': 'application/json' } });
    await call('POST', '/v1/moderations', limitedInit({ input: 'hello' }));
    expect((await call('POST', '/v1/images/generations', limitedInit(small))).status).toBe(429);
    await call('GET', '/v1/images/jobs/job_0_nothing', { headers: auth(limited) });
    expect((await call('GET', '/v1/images/jobs/job_0_nothing', { headers: auth(limited) })).status).toBe(429);
  });

  it('should answer edits as documented, multipart and JSON, streamed or not', async () => {
    const png = await sharp({ create: { width: 256, height: 256, channels: 3, background: { r: 40, g: 90, b: 200 } } }).png().toBuffer();
    const form = (fields: Record<string, string>, withImage = true) => {
      const body = new FormData();
      if (withImage) body.append('image', new File([png], 'blue.png', { type: 'image/png' }));
      for (const [name, value] of Object.entries(fields)) body.append(name, value);
      return { headers: auth(), body };
    };
    const edited = await call('POST', '/v1/images/edits', form({ prompt: 'add a yellow star at the top left', quality: 'low' }));
    expect(edited.status).toBe(200);
    const streamed = await call('POST', '/v1/images/edits', form({ prompt: 'add a yellow star at the top left', stream: 'true', partial_images: '1' }));
    expect(parseSse(streamed.text).at(-1)?.event).toBe('image_edit.completed');
    const byId = await call('POST', '/v1/images/edits', jsonInit({ image_id: edited.json.data[0].image_id, prompt: 'make the star green' }));
    expect(byId.status).toBe(200);
    expect((await call('POST', '/v1/images/edits', form({ prompt: 'anything' }, false))).status).toBe(400);
    expect((await call('POST', '/v1/images/edits', jsonInit({ image_id: 'img_nothing_0', prompt: 'x' }))).status).toBe(404);

    const verified = await call('POST', '/v1/provenance/verify', { method: 'POST', headers: { ...auth(), 'content-type': 'image/png' }, body: Buffer.from(edited.json.data[0].b64_json as string, 'base64') });
    expect(verified.json.made_by_lumen).toBe(true);
    expect((await call('POST', '/v1/provenance/verify', { headers: { ...auth(), 'content-type': 'image/png' }, body: 'not an image' })).status).toBe(400);
    expect((await call('POST', '/v1/provenance/verify', { headers: { 'content-type': 'image/png' }, body: png })).status).toBe(401);
    expect((await call('GET', '/.well-known/lumen-provenance.json')).status).toBe(200);
  });

  it('should answer moderations, signup and the webhook secret as documented', async () => {
    expect((await call('POST', '/v1/moderations', jsonInit({ input: ['a red circle', 'a blue square'] }))).json.results).toHaveLength(2);
    expect((await call('POST', '/v1/moderations', jsonInit({ input: [{ type: 'image_url', image_url: { url: 'data:,' } }] }))).status).toBe(400);
    expect((await call('POST', '/v1/moderations', { ...jsonInit({ input: 'x' }), headers: { 'content-type': 'application/json' } })).status).toBe(401);
    expect((await call('POST', '/v1/moderations', jsonInit({ input: 'x'.repeat(300 * 1024) }))).status).toBe(413);

    expect((await call('POST', '/v1/signup', jsonInit({ email: 'not an email' }))).status).toBe(400);
    expect((await call('POST', '/v1/signup', jsonInit({ name: 'x'.repeat(5000) }))).status).toBe(413);
    const statuses: number[] = [];
    // The per-address limit (5 an hour by default) ends this loop with a 429.
    for (let attempt = 0; attempt < 10 && !statuses.includes(429); attempt++) statuses.push((await call('POST', '/v1/signup', jsonInit({ name: 'openapi' }))).status);
    expect(statuses[0]).toBe(201);
    expect(statuses.at(-1)).toBe(429);

    expect((await call('GET', '/v1/webhooks/secret', { headers: auth() })).status).toBe(200);
    expect((await call('GET', '/v1/webhooks/secret')).status).toBe(401);
  });

  it('should answer models and variations as documented', async () => {
    const list = await call('GET', '/v1/models', { headers: auth() });
    expect(list.json.data.length).toBeGreaterThan(0);
    expect((await call('GET', `/v1/models/${encodeURIComponent(list.json.data[0].id as string)}`, { headers: auth() })).status).toBe(200);
    expect((await call('GET', '/v1/models/no-such-model', { headers: auth() })).status).toBe(404);
    expect((await call('GET', '/v1/models')).status).toBe(401);
    const png = await sharp({ create: { width: 256, height: 256, channels: 3, background: { r: 200, g: 40, b: 40 } } }).png().toBuffer();
    const body = new FormData();
    body.append('image', new File([png], 'red.png', { type: 'image/png' }));
    body.append('size', '256x256');
    expect((await call('POST', '/v1/images/variations', { headers: auth(), body })).status).toBe(200);
    expect((await call('POST', '/v1/images/variations', { headers: auth(), body: new FormData() })).status).toBe(400);
  });

  it('should have checked a success and an error of every documented route', () => {
    const missing = documentedRoutes()
      .map(({ method, path }) => `${method.toUpperCase()} ${path}`)
      .filter((route) => !['GET /openapi.json', 'GET /docs', 'GET /healthz'].includes(route))
      .filter((route) => {
        const statuses = [...(answered.get(route) ?? [])];
        return !statuses.some((status) => status < 300) || !statuses.some((status) => status >= 400);
      });
    expect(missing).toEqual([]);
    const all = new Set([...answered.values()].flatMap((statuses) => [...statuses]));
    for (const status of [200, 201, 202, 400, 401, 403, 404, 409, 413, 422, 429, 503]) expect(all.has(status), `status ${status}`).toBe(true);
  });
});
