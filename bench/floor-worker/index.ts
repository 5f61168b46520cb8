// The floor of Lumen's request paths: the least a Worker can do and still do
// what the issue-16 design says a request must, on the same runtime (workerd),
// so the gateway's figures can be read against what its own design costs here.
// No validation, no moderation, no errors beyond the one answer, no framework.
//
//   GET  /auth    hash the bearer key (SHA-256), find it in an isolate map, take
//                 a token from an in-memory bucket (tokens taken ahead), answer
//                 a 404 in the OpenAI error shape with request-id and
//                 rate-limit headers: the gateway's auth + rate limit -> 404.
//   POST /submit  the same, then read the JSON body, make one call to the
//                 tenant's object (one SQLite write: the slot) and one to a
//                 queue object (the job row and its event in one transaction),
//                 and answer 202 with the job: the gateway's async submission.
import { DurableObject } from 'cloudflare:workers';

interface FloorEnv {
  TENANT: DurableObjectNamespace<FloorTenant>;
  QUEUE: DurableObjectNamespace<FloorQueue>;
}

/** One tenant's slots, written through to SQLite as the gateway's Tenant object does. */
export class FloorTenant extends DurableObject<FloorEnv> {
  constructor(ctx: DurableObjectState, env: FloorEnv) {
    super(ctx, env);
    ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS slots (id INTEGER PRIMARY KEY, used INTEGER NOT NULL)');
    ctx.storage.sql.exec('INSERT OR IGNORE INTO slots (id, used) VALUES (1, 0)');
  }

  admit(): number {
    return this.ctx.storage.sql.exec<{ used: number }>('UPDATE slots SET used = used + 1 WHERE id = 1 RETURNING used').one().used;
  }
}

/** One queue shard: a job row and its first event, in one transaction. */
export class FloorQueue extends DurableObject<FloorEnv> {
  constructor(ctx: DurableObjectState, env: FloorEnv) {
    super(ctx, env);
    ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, params TEXT NOT NULL, created_at INTEGER NOT NULL)');
    ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, job TEXT NOT NULL, kind TEXT NOT NULL)');
  }

  enqueue(id: string, tenant: string, params: string): number {
    const sql = this.ctx.storage.sql;
    return this.ctx.storage.transactionSync(() => {
      sql.exec('INSERT INTO jobs (id, tenant, params, created_at) VALUES (?, ?, ?, ?)', id, tenant, params, Date.now());
      return sql.exec<{ seq: number }>("INSERT INTO events (job, kind) VALUES (?, 'queued') RETURNING seq", id).one().seq;
    });
  }
}

const encoder = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
const hex = (bytes: Uint8Array) => Array.from(bytes, (byte) => HEX[byte]).join('');

const BUCKET_SIZE = 1_000_000_000;
/** Every key is some tenant's here: the floor has no key store, only the isolate's cache of one. */
const tenants = new Map<string, { id: string; tokens: number }>();

async function authenticate(request: Request): Promise<{ id: string; tokens: number } | null> {
  const header = request.headers.get('authorization');
  if (!header?.startsWith('Bearer ')) return null;
  const digest = hex(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(header.slice(7)))));
  let tenant = tenants.get(digest);
  if (!tenant) tenants.set(digest, (tenant = { id: `t_${digest.slice(0, 16)}`, tokens: BUCKET_SIZE }));
  tenant.tokens -= 1;
  return tenant;
}

function answer(status: number, body: unknown, tokens: number): Response {
  return Response.json(body, {
    status,
    headers: {
      'x-request-id': `req_${hex(crypto.getRandomValues(new Uint8Array(16)))}`,
      'x-ratelimit-limit-requests': String(BUCKET_SIZE),
      'x-ratelimit-remaining-requests': String(tokens),
      'x-ratelimit-reset-requests': '60s',
    },
  });
}

export default {
  async fetch(request: Request, env: FloorEnv): Promise<Response> {
    const tenant = await authenticate(request);
    if (!tenant) return Response.json({ error: { message: 'Missing API key.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } }, { status: 401 });
    const { pathname } = new URL(request.url);
    if (request.method === 'POST' && pathname === '/submit') {
      const params = (await request.json()) as { prompt?: unknown };
      const id = `job_0_${crypto.randomUUID().replaceAll('-', '')}`;
      await env.TENANT.get(env.TENANT.idFromName(tenant.id)).admit();
      const position = await env.QUEUE.get(env.QUEUE.idFromName('shard-0')).enqueue(id, tenant.id, JSON.stringify(params));
      return answer(202, { id, object: 'image.generation.job', status: 'queued', queue_position: position }, tenant.tokens);
    }
    return answer(404, { error: { message: `No job at '${pathname}'.`, type: 'invalid_request_error', param: null, code: null } }, tenant.tokens);
  },
};
