// The trace a job belongs to: the client's W3C `traceparent` continued, or a
// new trace. The gateway records one span id per job; the origin's spans for
// every attempt are its children, and the job view names the trace.
import type { Context } from 'hono';
import type { AppEnv } from './env.js';
import { childTraceparent, formatTraceparent, parseTraceparent } from '../protocol/trace-context.js';

/** The traceparent to store with a new job; also answers `Lumen-Trace-Id` so a client can look the trace up. */
export function jobTraceparent(c: Context<AppEnv>): string {
  const own = childTraceparent(parseTraceparent(c.req.header('traceparent')));
  c.header('Lumen-Trace-Id', own.traceId);
  return formatTraceparent(own);
}
