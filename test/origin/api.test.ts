import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerType } from '@hono/node-server';
import type { Client } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInternalRequest } from '../../protocol/signature.js';
import { createOriginApi } from '../../origin-gpu/api.js';
import { openOriginDatabase } from '../../origin-gpu/db.js';
import { loadPipeline } from '../../origin-gpu/pipeline/registry.js';
import { ProvenanceRegistry } from '../../origin-gpu/provenance/registry.js';
import { loadSigningKey } from '../../origin-gpu/provenance/signer.js';
import type { Logger } from '../../plugins/sdk/index.js';

const SECRET = 'test-origin-api-secret';
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
type ErrorBody = { error: { message: string; type: string; param: string | null; code: string | null } };

describe('the origin API', () => {
  let dir: string;
  let client: Client;
  let server: ServerType;
  let base: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lumen-origin-api-'));
    const opened = await openOriginDatabase(`file:${join(dir, 'origin.db')}`);
    client = opened.client;
    const pipeline = await loadPipeline(fileURLToPath(new URL('../../origin-gpu/pipeline.json', import.meta.url)));
    const provenance = new ProvenanceRegistry(opened.db, await loadSigningKey({ path: join(dir, 'key.pem') }), pipeline);
    await provenance.publishKey();
    server = createOriginApi({ secret: SECRET, db: opened.db, provenance, logger: silent });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server?.close();
    client?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const signed = async (method: 'GET' | 'POST', pathAndQuery: string, body?: Uint8Array) =>
    fetch(`${base}${pathAndQuery}`, { method, headers: await signInternalRequest(SECRET, method, pathAndQuery, body ?? new Uint8Array()), body: body ?? null });
  const errorOf = async (response: Response) => ((await response.json()) as ErrorBody).error;

  it('should refuse an unsigned or badly signed call with a 401 in the OpenAI shape, on any path', async () => {
    for (const path of ['/v1/provenance/keys', '/v1/nowhere']) {
      const response = await fetch(`${base}${path}`);
      expect(response.status).toBe(401);
      expect(await errorOf(response)).toEqual({ message: 'Unsigned or badly signed origin API call.', type: 'invalid_request_error', param: null, code: 'invalid_signature' });
    }
    const headers = await signInternalRequest('another-secret', 'GET', '/v1/provenance/keys', new Uint8Array());
    expect((await fetch(`${base}/v1/provenance/keys`, { headers })).status).toBe(401);
  });

  it('should answer a signed call to an unknown route with a 404', async () => {
    const response = await signed('GET', '/v1/provenance/verify');
    expect(response.status).toBe(404);
    expect(await errorOf(response)).toEqual({ message: 'No route GET /v1/provenance/verify.', type: 'invalid_request_error', param: null, code: 'not_found' });
  });

  it('should serve the public keys', async () => {
    const response = await signed('GET', '/v1/provenance/keys');
    expect(response.status).toBe(200);
    const { keys } = (await response.json()) as { keys: { kid: string; crv: string }[] };
    expect(keys).toEqual([expect.objectContaining({ crv: 'Ed25519', kid: expect.any(String) })]);
  });

  it('should refuse a body over 25 MB before reading it as an image, and a verify call without a tenant', async () => {
    const big = await signed('POST', '/v1/provenance/verify?tenant=t1', new Uint8Array(25 * 1024 * 1024 + 1));
    expect(big.status).toBe(400);
    expect(await errorOf(big)).toMatchObject({ code: 'image_too_large', type: 'invalid_request_error' });
    const untenanted = await signed('POST', '/v1/provenance/verify', new Uint8Array(8));
    expect(untenanted.status).toBe(400);
    expect((await errorOf(untenanted)).message).toBe('tenant is required.');
  });

  it('should answer a bad image with a 400 naming the image parameter', async () => {
    const response = await signed('POST', '/v1/provenance/verify?tenant=t1', new TextEncoder().encode('not an image'));
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ param: 'image', code: 'invalid_image' });
  });

  it('should record a gateway block and list it, refusing malformed verdicts and queries', async () => {
    const block = { id: `modr_${'ab'.repeat(16)}`, tenantId: 't1', category: 'violence', severity: 'high', score: 0.9, policyVersion: 1, plugin: 'lumen/gateway-moderation', createdAt: 1_700_000_000_000 };
    const created = await signed('POST', '/v1/safety/verdicts', new TextEncoder().encode(JSON.stringify(block)));
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };
    const listed = await signed('GET', '/v1/safety/verdicts?tenant=t1&blocked=true');
    expect(listed.status).toBe(200);
    expect(await listed.json()).toMatchObject({ object: 'list', has_more: false, data: [{ id, job_id: block.id, stage: 'input', allowed: false, category: 'violence', created_at: 1_700_000_000 }] });

    const notJson = await signed('POST', '/v1/safety/verdicts', new TextEncoder().encode('{'));
    expect(notJson.status).toBe(400);
    expect((await errorOf(notJson)).message).toBe('The verdict is not valid JSON.');
    const invalid = await signed('POST', '/v1/safety/verdicts', new TextEncoder().encode(JSON.stringify({ ...block, score: 2 })));
    expect(invalid.status).toBe(400);
    expect((await errorOf(invalid)).message).toMatch(/^Invalid verdict: score: /);
    const badQuery = await signed('GET', '/v1/safety/verdicts?limit=0');
    expect(badQuery.status).toBe(400);
    expect((await errorOf(badQuery)).message).toMatch(/^Invalid query: limit: /);
  });
});
