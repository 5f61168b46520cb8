import { describe, expect, it } from 'vitest';
import { app } from '../../gateway/index.js';
import { config, ConfigError } from '../../gateway/config.js';
import type { Env } from '../../gateway/env.js';
import type { LeaseResponse } from '../../protocol/jobs.js';
import { DEFAULT_PACK_ID, modelListSchema, modelObjectSchema } from '../../protocol/models.js';
import { call, createTenant, env, internal } from './helpers.js';

const LIFTED = { requestsPerMinute: 10_000, imagesPerMinute: 10_000, concurrentJobs: 10_000 };
const OPENAI_NAMES = ['gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5', 'chatgpt-image-latest', 'dall-e-2', 'dall-e-3'];

function get(path: string, key: string): Promise<Response> {
  return call(path, { headers: { authorization: `Bearer ${key}` } });
}

function generate(key: string, body: Record<string, unknown>): Promise<Response> {
  return call('/v1/images/generations', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, prefer: 'respond-async' },
    body: JSON.stringify(body),
  });
}

/** Leases every queued job and fails it, returning what the worker was handed. */
async function leaseAll(): Promise<LeaseResponse['jobs']> {
  const response = await internal('POST', '/internal/lease', { workerId: 'models-test', slots: 64, waitMs: 0 });
  const { jobs } = (await response.json()) as LeaseResponse;
  for (const job of jobs) {
    const error = { message: 'leased by the test', code: 'drained', clientError: false };
    await internal('POST', `/internal/jobs/${job.id}/fail`, { leaseId: job.leaseId, retryable: false, error });
  }
  return jobs;
}

async function expectModelNotFound(response: Response, model: string) {
  expect(response.status).toBe(404);
  const body = (await response.json()) as { error: Record<string, unknown> };
  expect(body.error).toMatchObject({ type: 'invalid_request_error', param: 'model', code: 'model_not_found' });
  expect(body.error.message).toContain(`'${model}'`);
}

describe('GET /v1/models', () => {
  it('should list the default pack and every OpenAI alias in OpenAI\'s shape', async () => {
    const key = await createTenant('modelslist', 'free');
    const response = await get('/v1/models', key);
    expect(response.status).toBe(200);
    const list = modelListSchema.strict().parse(await response.json());
    expect(list.object).toBe('list');
    expect(list.data.map((model) => model.id)).toEqual([DEFAULT_PACK_ID, ...OPENAI_NAMES]);
    for (const model of list.data) {
      expect(model).toMatchObject({ object: 'model', owned_by: 'lumen', pack: DEFAULT_PACK_ID });
      expect(Number.isInteger(model.created) && model.created > 1_600_000_000).toBe(true);
    }
  });

  it('should retrieve one model by alias and by pack id, its slash sent as it is or as %2F', async () => {
    const key = await createTenant('modelsone', 'free');
    const alias = modelObjectSchema.strict().parse(await (await get('/v1/models/dall-e-3', key)).json());
    expect(alias).toMatchObject({ id: 'dall-e-3', object: 'model', pack: DEFAULT_PACK_ID });
    for (const path of ['/v1/models/lumen/progressive-decoder', '/v1/models/lumen%2Fprogressive-decoder']) {
      const response = await get(path, key);
      expect(response.status, path).toBe(200);
      expect(((await response.json()) as { id: string }).id).toBe(DEFAULT_PACK_ID);
    }
  });

  it('should answer an unknown id with 404 model_not_found', async () => {
    const key = await createTenant('modelsnone', 'free');
    await expectModelNotFound(await get('/v1/models/no-such-model', key), 'no-such-model');
    await expectModelNotFound(await get('/v1/models/%ZZ', key), '%ZZ');
  });

  it('should require an API key, as OpenAI does', async () => {
    const response = await call('/v1/models');
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('missing_api_key');
    expect((await call('/v1/models/gpt-image-1')).status).toBe(401);
  });

  it('should list what LUMEN_MODEL_ALIASES configures instead of the built-in names', async () => {
    const key = await createTenant('modelsvar', 'free');
    const bindings: Env = { ...env, LUMEN_MODEL_ALIASES: 'gpt-image-1=acme/xl, house=lumen/progressive-decoder' };
    const response = await app.request('/v1/models', { headers: { authorization: `Bearer ${key}` } }, bindings);
    const list = modelListSchema.parse(await response.json());
    expect(list.data.map(({ id, pack }) => [id, pack])).toEqual([
      [DEFAULT_PACK_ID, DEFAULT_PACK_ID],
      ['acme/xl', 'acme/xl'],
      ['gpt-image-1', 'acme/xl'],
      ['house', DEFAULT_PACK_ID],
    ]);
    const dropped = await app.request('/v1/models/dall-e-3', { headers: { authorization: `Bearer ${key}` } }, bindings);
    await expectModelNotFound(dropped, 'dall-e-3');
  });
});

describe('LUMEN_MODEL_ALIASES', () => {
  const bindings = (value: string): Env => ({ ...env, LUMEN_MODEL_ALIASES: value });

  it('should refuse a malformed list with an error naming the variable', () => {
    expect(() => config(bindings('gpt-image-1'))).toThrow(ConfigError);
    expect(() => config(bindings('a=b=c'))).toThrow(/LUMEN_MODEL_ALIASES must be a comma-separated list of alias=pack/);
    expect(() => config(bindings('a b=c'))).toThrow(/LUMEN_MODEL_ALIASES/);
    expect(() => config(bindings('x=acme/a,x=acme/b'))).toThrow(/names the alias "x" twice/);
    expect(() => config(bindings('acme/a=acme/b,x=acme/a'))).toThrow(/both as an alias and as a pack id/);
  });
});

describe('model on generations and edits', () => {
  it('should answer an unknown model with 404 model_not_found and queue nothing', async () => {
    const key = await createTenant('modelsgen', 'pro', LIFTED);
    await leaseAll();
    await expectModelNotFound(await generate(key, { prompt: 'a red circle', model: 'no-such-model' }), 'no-such-model');
    const form = new FormData();
    form.append('prompt', 'make it green');
    form.append('model', 'gpt-4o');
    form.append('image', new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], 'a.png', { type: 'image/png' }));
    await expectModelNotFound(await call('/v1/images/edits', { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form }), 'gpt-4o');
    const json = await call('/v1/images/edits', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ prompt: 'make it green', image_id: 'img_x_0', model: 'dall-e-4' }),
    });
    await expectModelNotFound(json, 'dall-e-4');
    expect(await leaseAll()).toEqual([]);
  });

  it('should hand the worker the pack a model resolves to, and the default pack when none is named', async () => {
    const key = await createTenant('modelspack', 'pro', LIFTED);
    await leaseAll();
    for (const model of ['gpt-image-1', 'dall-e-2', DEFAULT_PACK_ID, undefined]) {
      const response = await generate(key, { prompt: `for ${model}`, size: '256x256', ...(model && { model }) });
      expect(response.status, String(model)).toBe(202);
    }
    const jobs = await leaseAll();
    expect(jobs.map((job) => job.params.model)).toEqual(Array(4).fill(DEFAULT_PACK_ID));
  });
});
