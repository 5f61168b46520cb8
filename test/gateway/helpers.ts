import { env as poolEnv, exports as poolExports } from 'cloudflare:workers';
import type { Env } from '../../gateway/env.js';
import { signInternalRequest } from '../../protocol/signature.js';

// The pool types these loosely; the gateway's own types are the truth (no global augmentation).
export const env = poolEnv as unknown as Env & { LEASE_TTL_MS?: string };
const worker = (poolExports as unknown as { default: Fetcher }).default;

export const ADMIN_SECRET = 'test-admin-secret';
export const ORIGIN_SECRET = 'test-origin-secret';
const BASE = 'http://lumen.test';

export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return worker.fetch(new Request(`${BASE}${path}`, init));
}

/** Creates a tenant with one key; `limits` overrides its plan (e.g. to queue many jobs in a test of the queue, not of the limits). */
export async function createTenant(
  tenant: string,
  tier: 'free' | 'plus' | 'pro' | 'enterprise',
  limits?: { requestsPerMinute?: number; imagesPerMinute?: number; concurrentJobs?: number },
): Promise<string> {
  const headers = { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' };
  const put = await call(`/v1/admin/tenants/${tenant}`, { method: 'PUT', headers, body: JSON.stringify({ tier }) });
  if (!put.ok) throw new Error(`tenant setup failed: ${put.status}`);
  if (limits) {
    const override = await call(`/v1/admin/tenants/${tenant}/limits`, { method: 'PUT', headers, body: JSON.stringify(limits) });
    if (!override.ok) throw new Error(`limits override failed: ${override.status}`);
  }
  const post = await call(`/v1/admin/tenants/${tenant}/keys`, { method: 'POST', headers, body: JSON.stringify({ name: 'test' }) });
  const { key } = (await post.json()) as { key: string };
  return key;
}

export async function internal(method: string, path: string, body: unknown, secret = ORIGIN_SECRET): Promise<Response> {
  const bytes = new TextEncoder().encode(JSON.stringify(body));
  const headers = await signInternalRequest(secret, method, path, bytes);
  return call(path, { method, body: bytes, headers: { ...headers, 'content-type': 'application/json' } });
}

