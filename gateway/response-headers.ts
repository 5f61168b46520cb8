import type { Context } from 'hono';
import type { AppEnv } from './env.js';

/**
 * Sets headers on the response that came back from next(), in place.
 *
 * Hono's `c.header()` on a finished response first copies it: a new Response,
 * Headers and body stream, each call. On workerd those are native objects,
 * freed in the isolate's garbage-collection pauses, and two copies per request
 * made those pauses long enough to stall requests by 30–130 ms
 * (docs/BENCHMARKS.md, "The p99 of auth + rate limit"). Only a response passed
 * through from fetch() has immutable headers; that one is copied, once.
 */
export function setResponseHeaders(c: Context<AppEnv>, headers: Readonly<Record<string, string>>): void {
  if (!c.finalized) {
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
    return;
  }
  try {
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  } catch {
    const copy = new Response(c.res.body, c.res);
    for (const [name, value] of Object.entries(headers)) copy.headers.set(name, value);
    c.res = copy;
  }
}
