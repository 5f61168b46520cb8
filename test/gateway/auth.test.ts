import { describe, expect, it } from 'vitest';
import { ADMIN_SECRET, call, createTenant } from './helpers.js';

const generate = (headers: Record<string, string>, body: string) =>
  call('/v1/images/generations', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

async function expectOpenAIError(response: Response, status: number, code: string | null) {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: { message: string; type: string; param: string | null; code: string | null } };
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.error).toHaveProperty('type');
  expect(body.error).toHaveProperty('param');
  return body.error;
}

describe('API key auth', () => {
  it('should reject a request without a key', async () => {
    await expectOpenAIError(await generate({}, '{"prompt":"x"}'), 401, 'missing_api_key');
  });

  it('should reject a well-formed key that does not exist', async () => {
    const key = `lk_nobody_${'a'.repeat(32)}`;
    await expectOpenAIError(await generate({ authorization: `Bearer ${key}` }, '{"prompt":"x"}'), 401, 'invalid_api_key');
  });

  it('should reject malformed, oversized and junk Authorization headers', async () => {
    for (const header of ['Bearer', 'Basic abc', 'Bearer lk_short', `Bearer ${'x'.repeat(500)}`, 'Bearer lk_a_b c', 'Bearer lk_UPPER_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'Token lk_x']) {
      const response = await generate({ authorization: header }, '{"prompt":"x"}');
      expect(response.status, header).toBe(401);
    }
  });

  it('should reject a key whose secret is wrong for a real tenant', async () => {
    const key = await createTenant('authwrong', 'pro');
    const forged = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    await expectOpenAIError(await generate({ authorization: `Bearer ${forged}` }, '{"prompt":"x"}'), 401, 'invalid_api_key');
  });

  it('should refuse a key in the format from before keys were tagged, saying to get a new one', async () => {
    const key = await createTenant('authlegacy', 'pro');
    // The same tenant and secret without the tag: what this tenant's key looked like before tags.
    const legacy = key.slice(0, -16);
    const error = await expectOpenAIError(await generate({ authorization: `Bearer ${legacy}` }, '{"prompt":"x"}'), 401, 'invalid_api_key');
    expect(error.message).toMatch(/no longer accepted.*new key/);
  });

  it('should reject a revoked key', async () => {
    const headers = { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' };
    await call('/v1/admin/tenants/revokee', { method: 'PUT', headers, body: '{"tier":"free"}' });
    const created = (await (await call('/v1/admin/tenants/revokee/keys', { method: 'POST', headers, body: '{}' })).json()) as { id: string; key: string };
    const revoke = await call(`/v1/admin/tenants/revokee/keys/${created.id}`, { method: 'DELETE', headers });
    expect(revoke.status).toBe(200);
    // A fresh isolate cache has not seen this key, so the revocation is visible at once here.
    await expectOpenAIError(await generate({ authorization: `Bearer ${created.key}` }, '{}'), 401, 'invalid_api_key');
  });

  it('should refuse the admin API without the admin secret', async () => {
    const response = await call('/v1/admin/tenants/someone', { method: 'PUT', headers: { authorization: 'Bearer nope' }, body: '{"tier":"pro"}' });
    await expectOpenAIError(response, 401, 'invalid_admin_secret');
  });
});

describe('request validation', () => {
  it('should answer malformed JSON with a 400 in the OpenAI shape', async () => {
    const key = await createTenant('badjson', 'pro');
    const error = await expectOpenAIError(await generate({ authorization: `Bearer ${key}` }, '{"prompt": '), 400, null);
    expect(error.type).toBe('invalid_request_error');
    expect(error.message).toMatch(/not valid JSON/);
  });

  it('should name the missing prompt', async () => {
    const key = await createTenant('noprompt', 'pro');
    const error = await expectOpenAIError(await generate({ authorization: `Bearer ${key}` }, '{"n":1}'), 400, 'missing_required_parameter');
    expect(error.param).toBe('prompt');
  });

  it('should reject an empty prompt, a bad size and unknown arguments', async () => {
    const key = await createTenant('badparams', 'pro');
    const auth = { authorization: `Bearer ${key}` };
    expect((await expectOpenAIError(await generate(auth, '{"prompt":"   "}'), 400, 'invalid_value')).param).toBe('prompt');
    expect((await expectOpenAIError(await generate(auth, '{"prompt":"a","size":"999x1"}'), 400, 'invalid_value')).param).toBe('size');
    expect((await expectOpenAIError(await generate(auth, '{"prompt":"a","n":0}'), 400, 'invalid_value')).param).toBe('n');
    const unknown = await expectOpenAIError(await generate(auth, '{"prompt":"a","colour":"red"}'), 400, null);
    expect(unknown.message).toMatch(/Unrecognized request argument supplied: colour/);
  });

  it('should refuse a body over the limit before reading it', async () => {
    const key = await createTenant('bigbody', 'pro');
    const body = JSON.stringify({ prompt: 'x'.repeat(70 * 1024) });
    await expectOpenAIError(await generate({ authorization: `Bearer ${key}` }, body), 413, 'request_too_large');
  });

  it('should answer unknown endpoints with a 404 in the OpenAI shape', async () => {
    await expectOpenAIError(await call('/v1/nothing-here'), 404, 'not_found');
  });
});
