import { Hono } from 'hono';
import { z } from 'zod';
import { config } from '../config.js';
import type { AppEnv } from '../env.js';
import { InvalidRequestError, NotFoundError } from '../errors.js';
import { TENANT_ID } from '../keys.js';
import { JOB_STATUSES } from '../../protocol/jobs.js';
import type { InspectedJob } from '../objects/queue-shard.js';
import { desiredCapacity, liveWorkers, shardReports } from '../fleet.js';
import { adminAuth } from '../middleware/admin-auth.js';
import { flushRequestCounts } from '../middleware/request-metrics.js';
import { COUNTER_SHARDS, countersStub } from '../objects/gateway-counters.js';
import { workerRegistryStub } from '../objects/worker-registry.js';
import { tierConfigStub } from '../objects/tier-config.js';
import { SIGNUP_SHARDS } from '../limits.js';
import { renderMetrics } from '../ops-metrics.js';
import { maxShardCount, shardCount, shardOfJob, shardStub } from '../queue.js';

// What an operator watches and scales by: metrics, capacity, workers. Admin-only, like the rest of /v1/admin.
export const ops = new Hono<AppEnv>();

const jobsQuery = z
  .object({
    id: z.string().min(1).max(100).optional(),
    tenant: z.string().regex(TENANT_ID, 'tenant ids are 3–32 lowercase letters or digits').optional(),
    status: z.enum(JOB_STATUSES).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

/** A job of the inspector in the admin API's camelCase, its history only when it was asked for. */
function inspectedView({ job, leaseWorker, webhookUrl, events, webhooks }: InspectedJob, history: boolean) {
  return { object: 'admin.job', ...job, leaseWorker, webhookUrl, ...(history && { events, webhooks }) };
}

ops.use('*', adminAuth());

/** Prometheus text exposition (version 0.0.4) of the queue, leases, admissions, 429s, signups, webhooks, surge and workers. */
ops.get('/metrics', async (c) => {
  const env = c.env;
  const settings = config(env);
  await flushRequestCounts(env);
  const [shards, counterParts, signups, snapshot] = await Promise.all([
    shardReports(env),
    Promise.all(Array.from({ length: COUNTER_SHARDS }, (_, index) => countersStub(env, index).counts())),
    Promise.all(Array.from({ length: SIGNUP_SHARDS }, (_, index) => env.SIGNUP_SHARD.get(env.SIGNUP_SHARD.idFromName(`signup-${index}`)).signupCounts().catch(() => null))),
    tierConfigStub(env).snapshot(),
  ]);
  const requestCounts: Record<string, number> = {};
  for (const part of counterParts) for (const [key, value] of Object.entries(part)) requestCounts[key] = (requestCounts[key] ?? 0) + value;
  const workers = await liveWorkers(env, shards, settings.workerExpiryMs);
  const body = renderMetrics({
    now: Date.now(),
    shards,
    requestCounts,
    signups,
    surge: { surge: snapshot.surge, mode: snapshot.surgeMode },
    workers,
    capacity: desiredCapacity(shards, workers, settings),
  });
  return c.body(body, 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' });
});

/** How many origin workers the backlog asks for, flat, for KEDA's metrics-api scaler (`valueLocation: desiredWorkers`). */
ops.get('/capacity', async (c) => {
  const settings = config(c.env);
  const shards = await shardReports(c.env);
  const workers = await liveWorkers(c.env, shards, settings.workerExpiryMs);
  return c.json(desiredCapacity(shards, workers, settings), 200, { 'cache-control': 'no-store' });
});

/** The workers heard from within WORKER_EXPIRY_MS: slots, jobs held, last lease call and heartbeat, draining or not. */
ops.get('/workers', async (c) => {
  const shards = await shardReports(c.env);
  return c.json({ object: 'list', data: await liveWorkers(c.env, shards, config(c.env).workerExpiryMs) });
});

/**
 * Drains a worker: its lease calls get no more jobs and are answered `drain: true`, so it finishes the jobs it
 * holds and leaves. Every shard also refuses its session at once, so a lease call already open gets nothing either.
 */
ops.post('/workers/:id/drain', async (c) => {
  const id = c.req.param('id');
  const entry = await workerRegistryStub(c.env).drain(id);
  if (!entry) throw new NotFoundError(`No worker '${id}' has announced itself. GET /v1/admin/workers lists them.`);
  if (entry.session !== null) {
    const session = entry.session;
    await Promise.all(Array.from({ length: shardCount(c.env) }, (_, shard) => shardStub(c.env, shard).depart(session)));
  }
  const shards = await shardReports(c.env);
  const worker = (await liveWorkers(c.env, shards, config(c.env).workerExpiryMs)).find((view) => view.id === id);
  return c.json(worker ?? { id, draining: true });
});

/**
 * The job inspector's search: jobs by id, tenant and/or status, newest first, from every shard (an id goes to its own).
 * Without a filter it lists the newest jobs.
 */
ops.get('/jobs', async (c) => {
  const parsed = jobsQuery.safeParse(c.req.query());
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidRequestError(`Invalid '${issue.path.join('.') || 'query'}': ${issue.message}`, issue.path.join('.') || null);
  }
  const { id, tenant, status, limit } = parsed.data;
  const filter = { id, tenantId: tenant, status };
  let shards: number[];
  if (id === undefined) {
    shards = Array.from({ length: shardCount(c.env) }, (_, shard) => shard);
  } else {
    const shard = shardOfJob(id);
    shards = shard === null || shard >= maxShardCount(c.env) ? [] : [shard];
  }
  const found = (await Promise.all(shards.map((shard) => shardStub(c.env, shard).inspect(filter, limit, false)))).flat();
  found.sort((a, b) => b.job.createdAt - a.job.createdAt);
  return c.json({ object: 'list', data: found.slice(0, limit).map((entry) => inspectedView(entry, false)) }, 200, { 'cache-control': 'no-store' });
});

/** One job with its whole history: every event (admission, leases with worker and attempt, progress, requeues, the ending) and its webhook deliveries. */
ops.get('/jobs/:id', async (c) => {
  const id = c.req.param('id');
  const shard = shardOfJob(id);
  const [entry] = shard === null || shard >= maxShardCount(c.env) ? [] : await shardStub(c.env, shard).inspect({ id }, 1, true);
  if (!entry) throw new NotFoundError(`No job with id '${id}'.`);
  return c.json(inspectedView(entry, true), 200, { 'cache-control': 'no-store' });
});
