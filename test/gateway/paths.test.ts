import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { Hono } from 'hono';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppEnv } from '../../gateway/env.js';
import { app, handleError } from '../../gateway/index.js';
import { signInternalRequest } from '../../protocol/signature.js';
import { signImageUrl } from '../../gateway/signed-urls.js';
import { seededRandom } from '../../plugins/sdk/index.js';
import { ADMIN_SECRET, call, createTenant, env, ORIGIN_SECRET } from './helpers.js';

const BASE = 'http://lumen.test';

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

function isOpenAIError(body: unknown): body is ErrorBody {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const error = (body as { error: unknown }).error;
  if (typeof error !== 'object' || error === null) return false;
  const { message, type, param, code } = error as Record<string, unknown>;
  return typeof message === 'string' && message.length > 0 && typeof type === 'string' && (param === null || typeof param === 'string') && (code === null || typeof code === 'string');
}

async function errorOf(response: Response): Promise<ErrorBody['error']> {
  const body: unknown = await response.json();
  expect(isOpenAIError(body), JSON.stringify(body)).toBe(true);
  return (body as ErrorBody).error;
}

describe('malformed percent-encoding in a path', () => {
  it.each([
    '/v1/files/images/tenant1/job_0_00000000000000000000000000000000/lease1/%ZZ.png?expires=9999999999&signature=00',
    '/v1/files/%E0%A4%A',
    '/v1/files/%',
    '/v1/files/images/%C0%AF/0.png?expires=1&signature=00',
  ])('should answer %s with 400 invalid_path, not a 500', async (path) => {
    const response = await call(path);
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_path' });
  });

  it('should map a URIError from any handler to 400 invalid_path, so a route added later cannot 500 on one', async () => {
    const probe = new Hono<AppEnv>();
    probe.onError(handleError);
    probe.get('/probe/:name', (c) => c.text(decodeURIComponent(new URL(c.req.url).pathname)));
    const response = await probe.request('/probe/%E0%A4%A', {}, env);
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ type: 'invalid_request_error', code: 'invalid_path', param: null });
  });

  it('should still serve a signed URL whose key needs encoding', async () => {
    const key = 'images/pathsfile/job_0_x/lease 1/ü%#?.png';
    await env.IMAGES.put(key, new Uint8Array([1, 2, 3]), { httpMetadata: { contentType: 'image/png' } });
    const url = new URL(await signImageUrl(env, BASE, key));
    const response = await call(url.pathname + url.search);
    expect(response.status).toBe(200);
    expect([...new Uint8Array(await response.arrayBuffer())]).toEqual([1, 2, 3]);
  });

  it('should still refuse a well-formed but unsigned file path with 403', async () => {
    const response = await call('/v1/files/images/t/j/l/0.png?expires=9999999999&signature=00');
    expect(response.status).toBe(403);
    expect((await errorOf(response)).code).toBe('url_invalid');
  });

  it('should answer malformed encoding in a route parameter or query as the route does for any unknown value', async () => {
    const key = await createTenant('pathsparam', 'pro');
    const job = await call('/v1/images/jobs/%E0%A4%A?after=%ZZ', { headers: { authorization: `Bearer ${key}` } });
    expect(job.status).toBe(404);
    expect((await errorOf(job)).code).toBe('not_found');
    const tenant = await call('/v1/admin/tenants/%C0%AF', { headers: { authorization: `Bearer ${ADMIN_SECRET}` } });
    expect(tenant.status).toBe(400);
    expect((await errorOf(tenant)).param).toBe('tenant_id');
  });
});

// ---- Property: no input in a path or query makes any route answer 5xx. ----

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (random: Random, below: number): number => Math.floor(random() * below);
const hexByte = (byte: number): string => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;

const NASTY_PIECES = [
  '%', '%%', '%Z', '%ZZ', '%2', '%g0', '%%41', '%E0%A4%A', '%E0%A4', '%FF', '%FE%FF',
  '%C0%AF', '%C0%80', '%E0%80%AF', '%F0%80%80%AF', '%C1%BF', // overlong '/', NUL and '?'
  '%ED%A0%80', '%ED%BF%BF', '%F4%90%80%80', '%F8%88%80%80%80', // surrogates, above U+10FFFF, 5-byte form
  '%00', '%0A', '%0D%0A', '%09', '%7F', '%20', '%2F', '%5C', '%3F', '%23', '%25', '%2525', '%u0041',
  '..', '.', '%2e%2e', '%2E', '...', '..%2F', '%2e%2e%2f',
  'é', '🙂', '\u202e', 'ＡＢ', '\ufeff', '\ud800', '日本', '%F0%9F%99%82', '%C3%A9',
  'job_0_00000000000000000000000000000000', 'pro', 'free', '0', '-1', '1e309', 'NaN', 'null', '__proto__', 'constructor',
];

function fuzzPiece(random: Random): string {
  switch (int(random, 5)) {
    case 0:
      return Array.from({ length: 1 + int(random, 6) }, () => hexByte(int(random, 256))).join('');
    case 1:
      return pick(random, ['a', '%41', 'é', '%00']).repeat(1 + int(random, 3000));
    case 2:
      return Math.floor(random() * 36 ** 6).toString(36);
    default:
      return pick(random, NASTY_PIECES);
  }
}

const fuzzText = (random: Random): string => Array.from({ length: 1 + int(random, 3) }, () => fuzzPiece(random)).join('');

const QUERY_NAMES = ['after', 'lease', 'format', 'image', 'partial', 'key', 'limit', 'before', 'tenant', 'job', 'blocked', 'expires', 'signature'];

function fuzzQuery(random: Random): string {
  const pairs = Array.from({ length: int(random, 4) }, () => {
    const name = random() < 0.7 ? pick(random, QUERY_NAMES) : fuzzText(random);
    return random() < 0.15 ? name : `${name}=${fuzzText(random)}`;
  });
  if (random() < 0.1) pairs.push(pick(random, ['%', '=%', '&&', '%E0%A4%A=%ZZ']));
  return pairs.length > 0 ? `?${pairs.join('&')}` : '';
}

interface RouteShape {
  method: string;
  path: string;
}

/** A concrete path for `route` with every parameter, wildcard or an extra segment replaced by fuzz. */
function fuzzPath(random: Random, route: RouteShape): string {
  const segments = route.path.split('/').filter(Boolean);
  const fuzzable = segments.map((segment, index) => (segment.startsWith(':') || segment === '*' ? index : -1)).filter((index) => index >= 0);
  const concrete = segments.map((segment) => (segment.startsWith(':') ? fuzzText(random) : segment === '*' ? Array.from({ length: 1 + int(random, 4) }, () => fuzzText(random)).join('/') : segment));
  if (fuzzable.length === 0 || random() < 0.3) {
    // Routes without parameters are fuzzed past their end, or in one literal segment.
    if (random() < 0.5 || concrete.length === 0) concrete.push(fuzzText(random));
    else concrete[int(random, concrete.length)] = fuzzText(random);
  }
  return `/${concrete.join('/')}`;
}

interface Failure {
  seed: number;
  request: string;
  status: number;
  body: string;
}

describe('property: random bytes in any route\'s path and query', () => {
  let apiKey = '';
  // Every route the app registers (middleware included), so a route added later is covered without editing this test.
  const routes: RouteShape[] = [...new Map(app.routes.map((route) => [`${route.method} ${route.path}`, { method: route.method === 'ALL' ? 'GET' : route.method, path: route.path }])).values()];

  beforeAll(async () => {
    apiKey = await createTenant('pathsfuzz', 'pro', { requestsPerMinute: 1_000_000, imagesPerMinute: 1_000_000 });
  });

  async function send(random: Random, route: RouteShape, signed: boolean): Promise<{ request: string; raw: string; response: Response }> {
    const raw = `${fuzzPath(random, route)}${fuzzQuery(random)}`;
    const url = new URL(`${BASE}${raw}`);
    const method = route.method;
    const body = method === 'GET' || method === 'HEAD' ? null : new TextEncoder().encode('{}');
    const headers: Record<string, string> = body ? { 'content-type': 'application/json' } : {};
    if (url.pathname.startsWith('/v1/admin')) headers.authorization = `Bearer ${ADMIN_SECRET}`;
    else if (!url.pathname.startsWith('/internal')) headers.authorization = `Bearer ${apiKey}`;
    // Signed over the path as the gateway will see it (the URL parser has already normalised it).
    if (signed) Object.assign(headers, await signInternalRequest(ORIGIN_SECRET, method, url.pathname + url.search, body ?? new Uint8Array()));
    // Straight to the app: each SELF.fetch in one test file gets slower than the last (pool-workers 0.15), which 600 calls would feel.
    const ctx = createExecutionContext();
    const response = await app.fetch(new Request(url, { method, headers, body }), env, ctx);
    await waitOnExecutionContext(ctx);
    return { raw, request: `${method} ${raw.length > 300 ? `${raw.slice(0, 300)}… (${raw.length} chars)` : raw}${signed ? ' (signed)' : ''}`, response };
  }

  async function check(seed: number, requests: number): Promise<Failure[]> {
    const random = seededRandom(seed);
    const failures: Failure[] = [];
    for (let i = 0; i < requests; i++) {
      const route = routes[i % routes.length]!;
      const signed = route.path.startsWith('/internal') && random() < 0.5;
      const { request, raw, response } = await send(random, route, signed);
      const text = await response.text();
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: judged below
      }
      // A deployment without ORIGIN_API_URLS answers the routes that need an origin with this 503 by design.
      const originMissing = response.status === 503 && isOpenAIError(body) && body.error.code === 'origin_api_unavailable';
      // Every request carries the credentials its path needs (signed internal calls too), so a 401 means the handler never ran.
      const credentialsRefused = response.status === 401 && (signed || !new URL(`${BASE}${raw}`).pathname.startsWith('/internal'));
      const bad = (response.status >= 500 && !originMissing) || (response.status >= 400 && !isOpenAIError(body)) || credentialsRefused;
      if (bad) failures.push({ seed, request, status: response.status, body: text.slice(0, 300) });
    }
    return failures;
  }

  // One fixed seed, so CI is repeatable, and one new each run; a failure names its seed to replay it here.
  it.each([20261201, Date.now() >>> 0])('should answer no 5xx and only OpenAI-shaped 4xx (seed %i)', { timeout: 30_000 }, async (seed) => {
    expect(routes.length).toBeGreaterThan(20);
    const failures = await check(seed, 400);
    expect(failures, `seed ${seed}: ${failures.length} bad answers, first ${JSON.stringify(failures.slice(0, 5), null, 1)}`).toEqual([]);
  });
});
