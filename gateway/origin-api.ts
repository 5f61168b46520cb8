import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { config } from './config.js';
import type { Env } from './env.js';
import { ApiError } from './errors.js';
import { signInternalRequest } from '../protocol/signature.js';

/** How long one origin may take to answer before the next is tried. */
const ORIGIN_API_TIMEOUT_MS = 30_000;

/**
 * Calls the origins' HTTP API (provenance, safety audit), signed with
 * ORIGIN_SECRET. Origins share one libSQL registry, so any of them can answer:
 * the call starts at a random one and moves on when one is down or failing,
 * so a single bad origin neither fails the request nor takes all the load.
 * Returns the origin's answer as is; 4xx answers are the client's to see.
 */
export async function callOriginApi(env: Env, method: 'GET' | 'POST', pathAndQuery: string, body?: Uint8Array): Promise<Response> {
  const urls = config(env).originApiUrls;
  if (urls.length === 0) {
    throw new ApiError(503, 'server_error', 'This deployment has no origin API configured (ORIGIN_API_URLS), so it cannot answer this request.', 'origin_api_unavailable');
  }
  const payload = body ?? new Uint8Array();
  const start = Math.floor(Math.random() * urls.length);
  let lastFailure = 'no origin answered';
  for (let i = 0; i < urls.length; i++) {
    const base = urls[(start + i) % urls.length]!;
    try {
      const headers = await signInternalRequest(env.ORIGIN_SECRET, method, pathAndQuery, payload);
      const response = await fetch(`${base}${pathAndQuery}`, {
        method,
        headers: { ...headers, ...(body && { 'content-type': 'application/octet-stream' }) },
        body: body ?? null,
        signal: AbortSignal.timeout(ORIGIN_API_TIMEOUT_MS),
      });
      if (response.status < 500) return response;
      lastFailure = `origin answered ${response.status}`;
    } catch (error) {
      lastFailure = error instanceof Error ? error.message : String(error);
    }
  }
  throw new ApiError(503, 'server_error', `No origin could answer (${lastFailure}). Retry shortly.`, 'origin_api_unavailable', null, { 'retry-after': '5' });
}

/** Relays an origin's JSON answer with its status. */
export async function relay(response: Response): Promise<Response> {
  return new Response(await response.arrayBuffer(), {
    status: response.status as ContentfulStatusCode,
    headers: { 'content-type': 'application/json' },
  });
}
