import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, OPENAI_MODERATION_CATEGORIES, type SafetyPolicy } from '../../plugins/safety-policy/engine.js';
import { imageIdOf } from '../../gateway/jobs/image-id.js';
import type { LeaseResponse } from '../../protocol/jobs.js';
import type { PolicySnapshot } from '../../protocol/policy.js';
import { signInternalRequest } from '../../protocol/signature.js';
import { ADMIN_SECRET, call, createTenant, internal, ORIGIN_SECRET } from './helpers.js';

const LIFTED = { requestsPerMinute: 10_000, imagesPerMinute: 10_000, concurrentJobs: 10_000 };
const BOMB = 'step by step diagram for building a pipe bomb';

interface ErrorBody {
  error: { message: string; type: string; code: string | null; param: string | null; moderation_stage?: string; category?: string };
}

interface ModerationBody {
  id: string;
  model: string;
  results: Array<{
    flagged: boolean;
    categories: Record<string, boolean>;
    category_scores: Record<string, number>;
    category_applied_input_types: Record<string, string[]>;
  }>;
}

interface PolicyView {
  version: number;
  source: string;
  policy: SafetyPolicy;
}

const admin = { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' };
const adminCall = (method: string, path: string, body?: unknown) =>
  call(`/v1/admin${path}`, { method, headers: admin, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });

function generate(key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return call('/v1/images/generations', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
    body: JSON.stringify({ size: '256x256', ...body }),
  });
}

function moderate(key: string, body: unknown) {
  return call('/v1/moderations', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
}

/** The tenant's image bucket as the rate-limit headers of a request that takes none report it. */
/** The image budget left, read from a create-route request that fails validation (it takes a request token, no image token). */
async function remainingImages(key: string): Promise<number> {
  const probe = await generate(key, { prompt: '' });
  expect(probe.status).toBe(400);
  const remaining = probe.headers.get('x-ratelimit-remaining-images');
  expect(remaining).not.toBeNull();
  return Number(remaining);
}

async function expectBlocked(response: Response, category: string): Promise<ErrorBody['error']> {
  expect(response.status).toBe(400);
  expect(response.headers.get('content-type')).toContain('application/json');
  expect(response.headers.get('lumen-job-id')).toBeNull();
  expect(response.headers.get('lumen-moderation-id')).toMatch(/^modr_[0-9a-f]{32}$/);
  const { error } = (await response.json()) as ErrorBody;
  expect(error).toMatchObject({ type: 'image_generation_user_error', code: 'moderation_blocked', moderation_stage: 'input', category });
  expect(error.message).toContain(category);
  return error;
}

async function expectInvalid(response: Response, code: string | null, param?: string | null): Promise<string> {
  expect(response.status).toBe(400);
  const { error } = (await response.json()) as ErrorBody;
  expect(error.type).toBe('invalid_request_error');
  if (code !== null) expect(error.code).toBe(code);
  if (param !== undefined) expect(error.param).toBe(param);
  expect(error.message.length).toBeGreaterThan(10);
  return error.message;
}

async function signedGet(path: string): Promise<Response> {
  return call(path, { headers: await signInternalRequest(ORIGIN_SECRET, 'GET', path, new Uint8Array()) });
}

/** Leases every queued job and fails it; returns the tenants whose jobs were queued. */
async function drain(): Promise<string[]> {
  const tenants: string[] = [];
  for (;;) {
    const { jobs } = (await (await internal('POST', '/internal/lease', { workerId: 'moderation-test', slots: 64, waitMs: 0 })).json()) as LeaseResponse;
    if (jobs.length === 0) return tenants;
    for (const job of jobs) {
      tenants.push(job.tenantId);
      await internal('POST', `/internal/jobs/${job.id}/fail`, { leaseId: job.leaseId, retryable: false, error: { message: 'drained by the test', code: 'drained', clientError: false } });
    }
  }
}

/** Puts the built-in policy back as the live one, so each test starts from it. */
async function restoreDefaultPolicy(): Promise<void> {
  expect((await adminCall('PUT', '/policy', { ...DEFAULT_POLICY, version: undefined })).status).toBe(200);
}

afterAll(async () => {
  await restoreDefaultPolicy();
});

describe('input moderation at the gateway', () => {
  it('should refuse a blocked prompt with 400 moderation_blocked before taking an image token, a slot or a queue entry', async () => {
    const key = await createTenant('modblock', 'pro');
    await drain();
    const before = await remainingImages(key);
    await expectBlocked(await generate(key, { prompt: BOMB }), 'illicit/violent');
    await expectBlocked(await generate(key, { prompt: BOMB, n: 4 }, { prefer: 'respond-async' }), 'illicit/violent');
    expect(await remainingImages(key)).toBe(before);
    expect(await drain()).not.toContain('modblock');
    const usage = (await (await adminCall('GET', '/tenants/modblock/usage')).json()) as { concurrentJobs: number; perDay: Array<{ images: number }> };
    expect(usage.concurrentJobs).toBe(0);
    expect(usage.perDay.reduce((sum, day) => sum + day.images, 0)).toBe(0);

    // The check is what spared the token: an allowed prompt takes one.
    const allowed = await generate(key, { prompt: 'a child flying a kite' }, { prefer: 'respond-async' });
    expect(allowed.status).toBe(202);
    expect(await remainingImages(key)).toBe(before - 1);
    expect(await drain()).toContain('modblock');
  });

  it('should refuse a free request synchronously even when an allowed one would be deferred (never a 202)', async () => {
    const key = await createTenant('modfree', 'free', LIFTED);
    await drain();
    for (let i = 0; i < 12; i++) await generate(key, { prompt: `a red circle ${i}` }, { prefer: 'respond-async' });
    const deferred = await generate(key, { prompt: 'a blue square' }, { prefer: 'wait=0' });
    expect(deferred.status).toBe(202);
    expect(deferred.headers.get('lumen-admission')).toBe('deferred');
    const blocked = await generate(key, { prompt: BOMB });
    expect(blocked.headers.get('lumen-admission')).toBeNull();
    await expectBlocked(blocked, 'illicit/violent');
    await drain();
  });

  it('should answer stream:true with a plain JSON 400, not an SSE stream', async () => {
    const key = await createTenant('modstream', 'pro');
    const response = await generate(key, { prompt: BOMB, stream: true, partial_images: 2 });
    expect(response.headers.get('content-type')).not.toContain('text/event-stream');
    await expectBlocked(response, 'illicit/violent');
  });

  it('should keep moderation "low" from relaxing a category that is never relaxable', async () => {
    const key = await createTenant('modlow', 'pro');
    await expectBlocked(await generate(key, { prompt: 'sexualized image of a minor', moderation: 'low' }), 'sexual/minors');
  });

  it('should check edit prompts, both multipart and JSON (image_id)', async () => {
    const key = await createTenant('modedit', 'pro', LIFTED);
    await drain();
    const png = new Uint8Array([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 64, 0, 0, 0, 64, 8, 6, 0, 0, 0, 0, 0, 0, 0,
      0, 0, 0, 1, 0x49, 0x44, 0x41, 0x54, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0, 0, 0, 0,
    ]);
    const form = new FormData();
    form.append('prompt', BOMB);
    form.append('image', new File([png], 'image.png', { type: 'image/png' }));
    await expectBlocked(await call('/v1/images/edits', { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form }), 'illicit/violent');

    // A finished generation to edit by image_id, completed by hand as an origin would.
    const created = await generate(key, { prompt: 'a red circle' }, { prefer: 'respond-async' });
    const { id } = (await created.json()) as { id: string };
    const { jobs } = (await (await internal('POST', '/internal/lease', { workerId: 'moderation-test', slots: 64, waitMs: 0 })).json()) as LeaseResponse;
    const leased = jobs.find((job) => job.id === id)!;
    const grid = { rows: 2, cols: 2, codebookSize: 256, tokensBase64: btoa(String.fromCharCode(...new Uint8Array(new Int32Array([1, 2, 3, 4]).buffer))) };
    await internal('POST', `/internal/jobs/${id}/heartbeat`, { leaseId: leased.leaseId, passesDone: 4, checkpoint: { passesDone: 4, grids: [grid] } });
    const image = { index: 0, key: `images/modedit/${id}/${leased.leaseId}/0.png`, contentType: 'image/png', bytes: 10 };
    expect((await internal('POST', `/internal/jobs/${id}/complete`, { leaseId: leased.leaseId, images: [image], usage: { inputTokens: 1, outputTokens: 4 } })).status).toBe(200);

    const editJson = (prompt: string) =>
      call('/v1/images/edits', {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', prefer: 'respond-async' },
        body: JSON.stringify({ image_id: imageIdOf(id, 0), prompt }),
      });
    await expectBlocked(await editJson('make it a propaganda poster glorifying the nazi party with swastikas'), 'extremism');
    expect((await editJson('make the circle green')).status).toBe(202);
    await drain();
  });
});

describe('POST /v1/moderations', () => {
  it('should answer a string in OpenAI\'s shape, with the 13 OpenAI categories and Lumen\'s as extensions', async () => {
    const key = await createTenant('modrone', 'pro');
    const response = await moderate(key, { input: BOMB });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-ratelimit-remaining-requests')).not.toBeNull();
    const body = (await response.json()) as ModerationBody;
    expect(body.id).toMatch(/^modr-/);
    expect(body.model).toBe('omni-moderation-latest');
    expect(body.results).toHaveLength(1);
    const [result] = body.results;
    expect(result!.flagged).toBe(true);
    for (const category of OPENAI_MODERATION_CATEGORIES) {
      expect(typeof result!.categories[category]).toBe('boolean');
      expect(typeof result!.category_scores[category]).toBe('number');
      expect(result!.category_applied_input_types[category]).toEqual(['text']);
    }
    expect(result!.categories['illicit/violent']).toBe(true);
    expect(result!.category_scores['illicit/violent']).toBeGreaterThan(0.5);
    expect(result!.categories.extremism).toBe(false);
  });

  it('should answer an array of strings with one result each, and a multimodal text array with one result', async () => {
    const key = await createTenant('modrmany', 'pro');
    const many = (await (await moderate(key, { input: ['a child flying a kite', 'recruitment poster for a terrorist organization'], model: 'text-moderation-latest' })).json()) as ModerationBody;
    expect(many.model).toBe('text-moderation-latest');
    expect(many.results.map((result) => result.flagged)).toEqual([false, true]);
    expect(many.results[1]!.categories.extremism).toBe(true);
    const parts = (await (await moderate(key, { input: [{ type: 'text', text: 'a cake shaped' }, { type: 'text', text: 'like a bomb' }] })).json()) as ModerationBody;
    expect(parts.results).toHaveLength(1);
    expect(parts.results[0]!.flagged).toBe(false);
  });

  it('should refuse other shapes, image parts, unknown models and oversize input with clear 400s', async () => {
    const key = await createTenant('modrbad', 'pro');
    await expectInvalid(await moderate(key, {}), 'missing_required_parameter', 'input');
    await expectInvalid(await moderate(key, { input: 42 }), 'invalid_value', 'input');
    await expectInvalid(await moderate(key, { input: { text: 'x' } }), 'invalid_value', 'input');
    await expectInvalid(await moderate(key, { input: [] }), 'invalid_value', 'input');
    await expectInvalid(await moderate(key, { input: [1, 2] }), 'invalid_value', 'input[0]');
    await expectInvalid(await moderate(key, { input: [{ type: 'text', text: 'ok' }, { type: 'text' }] }), 'invalid_value', 'input[1]');
    await expectInvalid(await moderate(key, { input: ['ok', { type: 'text', text: 'mixed' }] }), 'invalid_value', 'input[0]');
    await expectInvalid(await moderate(key, { input: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }), 'unsupported_input_type', 'input[0]');
    await expectInvalid(await moderate(key, { input: 'x', model: 'gpt-image-1' }), 'invalid_value', 'model');
    await expectInvalid(await moderate(key, { input: 'x', colour: 'red' }), null, 'colour');
    await expectInvalid(await moderate(key, { input: Array.from({ length: 33 }, () => 'x') }), 'too_many_inputs', 'input');
    await expectInvalid(await moderate(key, { input: 'x'.repeat(32_001) }), 'input_too_long', 'input');
    await expectInvalid(await moderate(key, { input: ['ok', 'x'.repeat(32_001)] }), 'input_too_long', 'input[1]');
    const notJson = await call('/v1/moderations', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{"input":' });
    await expectInvalid(notJson, null);
    expect((await call('/v1/moderations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input":"x"}' })).status).toBe(401);
  });
});

describe('live policy', () => {
  it('should validate a PUT, bump the version, and hold the next request to the new policy', async () => {
    const key = await createTenant('modlive', 'pro');
    const current = (await (await adminCall('GET', '/policy')).json()) as PolicyView;
    expect(current.policy.categories.length).toBeGreaterThan(0);

    // Bad policies are refused with a message naming the problem, and change nothing.
    expect(await expectInvalid(await adminCall('PUT', '/policy', '{"categories":'), null)).toContain('JSON');
    await expectInvalid(await adminCall('PUT', '/policy', { categories: [] }), null);
    expect(await expectInvalid(await adminCall('PUT', '/policy', { categories: [{ id: 'weather', severity: 'high', relaxable: false, enabled: true }] }), null)).toContain('categories.0.id');
    const relaxedMinors = { ...current.policy, version: undefined, categories: current.policy.categories.map((category) => (category.id === 'sexual/minors' ? { ...category, relaxable: true } : category)) };
    expect(await expectInvalid(await adminCall('PUT', '/policy', relaxedMinors), null)).toContain('never be relaxable');
    const badPattern = { categories: [{ id: 'violence', severity: 'high', relaxable: true, enabled: true, rules: [{ all: ['weapon'] }] }], concepts: { weapon: { terms: ['gun'], patterns: ['(unclosed'] } } };
    expect(await expectInvalid(await adminCall('PUT', '/policy', badPattern), null)).toContain('regular expression');
    expect(((await (await adminCall('GET', '/policy')).json()) as PolicyView).version).toBe(current.version);

    expect((await generate(key, { prompt: 'a purple elephant parade' }, { prefer: 'respond-async' })).status).toBe(202);
    const stricter: SafetyPolicy = {
      ...current.policy,
      version: current.version,
      categories: current.policy.categories.map((category) => (category.id === 'violence' ? { ...category, enabled: true, terms: [...(category.terms ?? []), 'purple elephant'] } : category)),
    };
    const put = await adminCall('PUT', '/policy?note=test%20term', stricter);
    expect(put.status).toBe(200);
    const written = (await put.json()) as PolicyView & { note: string };
    expect(written).toMatchObject({ version: current.version + 1, source: 'store', note: 'test term' });
    expect(written.policy.version).toBe(current.version + 1);
    await expectBlocked(await generate(key, { prompt: 'a purple elephant parade' }), 'violence');
    expect(((await (await moderate(key, { input: 'purple elephants' })).json()) as ModerationBody).results[0]!.categories.violence).toBe(true);

    // A write based on an old version is refused instead of undoing the newer one.
    const stale = await adminCall('PUT', '/policy', stricter);
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as ErrorBody).error.code).toBe('policy_version_conflict');

    const history = (await (await adminCall('GET', '/policy/history?limit=1')).json()) as { data: Array<{ version: number; note: string }>; has_more: boolean };
    expect(history.data).toEqual([expect.objectContaining({ version: current.version + 1, note: 'test term' })]);

    // Origins read the same policy over the signed internal route.
    const unsigned = await call('/internal/policy');
    expect(unsigned.status).toBe(401);
    const origin = (await (await signedGet('/internal/policy')).json()) as PolicySnapshot;
    expect(origin.base.version).toBe(current.version + 1);

    await restoreDefaultPolicy();
    expect((await generate(key, { prompt: 'a purple elephant parade' }, { prefer: 'respond-async' })).status).toBe(202);
    await drain();
  });

  it('should let a tenant overlay only tighten the policy, for that tenant alone', async () => {
    const strict = await createTenant('modstrict', 'pro');
    const other = await createTenant('modother', 'pro');
    await drain();
    const prompt = 'a lighthouse at dusk';
    expect((await generate(strict, { prompt }, { prefer: 'respond-async' })).status).toBe(202);

    // Nothing in an overlay can loosen: unknown (loosening) fields are refused, as is an unknown tenant.
    await expectInvalid(await adminCall('PUT', '/tenants/modstrict/policy', { disableCategories: ['violence'] }), null);
    await expectInvalid(await adminCall('PUT', '/tenants/modstrict/policy', { raiseSeverity: { violence: 'trivial' } }), null);
    expect((await adminCall('PUT', '/tenants/nosuchtenant/policy', { extraTerms: { violence: ['lighthouse'] } })).status).toBe(404);

    const put = await adminCall('PUT', '/tenants/modstrict/policy', { extraTerms: { violence: ['lighthouse'] }, disableRelaxation: ['violence/graphic'] });
    expect(put.status).toBe(200);
    const view = (await put.json()) as { version: number; effective: SafetyPolicy };
    expect(view.version).toBe(1);
    expect(view.effective.categories.find((category) => category.id === 'violence/graphic')?.relaxable).toBe(false);

    await expectBlocked(await generate(strict, { prompt }), 'violence');
    expect((await generate(other, { prompt }, { prefer: 'respond-async' })).status).toBe(202);
    // moderation "low" no longer relaxes violence/graphic for this tenant; for the other it still does.
    await expectBlocked(await generate(strict, { prompt: 'a gore scene', moderation: 'low' }), 'violence/graphic');
    expect((await generate(other, { prompt: 'a gore scene', moderation: 'low' }, { prefer: 'respond-async' })).status).toBe(202);
    const origin = (await (await signedGet('/internal/policy?tenant=modstrict')).json()) as PolicySnapshot;
    expect(Object.keys(origin.overlays)).toEqual(['modstrict']);

    expect((await adminCall('DELETE', '/tenants/modstrict/policy')).status).toBe(200);
    expect((await generate(strict, { prompt }, { prefer: 'respond-async' })).status).toBe(202);
    expect(((await (await adminCall('GET', '/tenants/modstrict/policy')).json()) as { overlay: unknown }).overlay).toBeNull();
    await drain();
  });
});
