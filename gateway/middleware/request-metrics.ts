// What only the isolate sees, counted: admissions by tier and mode, and 429s
// by tier and limit. Counts gather in this isolate and go to a GatewayCounters
// object in one batch at most every FLUSH_INTERVAL_MS; each event also goes to
// Analytics Engine when the METRICS binding is configured.
import type { Context, MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv, Env } from '../env.js';
import { ApiError, RateLimitError } from '../errors.js';
import { writeMetricEvent } from '../metrics.js';
import { COUNTER_SHARDS, counterKey, countersStub, type CounterKey } from '../objects/gateway-counters.js';

const FLUSH_INTERVAL_MS = 1_000;
const ADMISSION_PATHS = new Set(['/v1/images/generations', '/v1/images/edits']);
const ADMISSION_MODES = new Set(['sync', 'deferred', 'async']);

let pending = new Map<CounterKey, number>();
let lastFlushAt = 0;
let flushScheduled = false;

export const ADMISSIONS_METRIC = 'lumen_admissions_total';
export const RATE_LIMITED_METRIC = 'lumen_rate_limited_total';

/** Counts the outcome of every request once it is answered (errors included: they are answers by then). */
export const requestMetrics = (): MiddlewareHandler<AppEnv> =>
  createMiddleware<AppEnv>(async function requestMetrics(c, next) {
    await next();
    const tier = (c.get('tenant') as AppEnv['Variables']['tenant'] | undefined)?.tier ?? 'none';
    const error = c.error;
    if (error instanceof RateLimitError) count(c, RATE_LIMITED_METRIC, { tier, limit: error.type });
    if (c.req.method !== 'POST' || !ADMISSION_PATHS.has(c.req.path)) return;
    const mode = c.res.headers.get('lumen-admission');
    if (error instanceof ApiError && error.code === 'queue_full') count(c, ADMISSIONS_METRIC, { tier, mode: 'refused' });
    else if (mode !== null && ADMISSION_MODES.has(mode)) count(c, ADMISSIONS_METRIC, { tier, mode });
  });

function count(c: Context<AppEnv>, name: string, labels: Record<string, string>): void {
  const key = counterKey(name, labels);
  pending.set(key, (pending.get(key) ?? 0) + 1);
  writeMetricEvent(c.env, name, Object.values(labels));
  if (flushScheduled) return;
  flushScheduled = true;
  const delay = Math.max(0, lastFlushAt + FLUSH_INTERVAL_MS - Date.now());
  const flush = new Promise((resolve) => setTimeout(resolve, delay)).then(() => flushRequestCounts(c.env));
  // Hono has no ExecutionContext when the app is called without one (tests calling app.fetch); the flush then just runs.
  try {
    c.executionCtx.waitUntil(flush);
  } catch {
    void flush;
  }
}

/** Sends this isolate's counts now (the metrics route does before it reads, so it sees its own isolate's latest). */
export async function flushRequestCounts(env: Env): Promise<void> {
  flushScheduled = false;
  if (pending.size === 0) return;
  const batch = pending;
  pending = new Map();
  lastFlushAt = Date.now();
  try {
    await countersStub(env, Math.floor(Math.random() * COUNTER_SHARDS)).add(Object.fromEntries(batch));
  } catch (error) {
    // Keep the counts for the next flush rather than losing them.
    for (const [key, value] of batch) pending.set(key, (pending.get(key) ?? 0) + value);
    console.error(JSON.stringify({ level: 'error', message: 'request counters flush failed', error: String(error) }));
  }
}
