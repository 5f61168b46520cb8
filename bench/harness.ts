// Shared pieces of the benchmarks: a keep-alive HTTP client, a bounded
// closed-loop load generator, percentiles, a hello-world worker on the same
// runtime as the ceiling and the floor of the gateway's own design, the machine's facts for docs/BENCHMARKS.md, and
// the prompts and job specs of the benchmarks that run the pipeline directly.
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { GenerationSpec, Logger } from '../plugins/sdk/index.js';
import { freePort, ManagedProcess, ROOT } from '../scripts/local-stack.js';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

// Open-loop benches hold hundreds of requests at once (each waits out its sync budget); a lower cap would queue them in this client and count the queueing as server latency.
const agent = new Agent({ keepAlive: true, maxSockets: 4096 });

/** node:http with keep-alive: cheaper per request than fetch, so the client steals less CPU from what it measures. */
export function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolveReply, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolveReply({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** Closes the kept-alive sockets so the benchmark process can exit. */
export function closeConnections(): void {
  agent.destroy();
}

export interface LoadResult {
  label: string;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  /** Requests slower than STALL_MS: on workerd these come as pauses that hold several in-flight requests at once (docs/BENCHMARKS.md, "The p99 of auth + rate limit"). */
  stalled: number;
  statuses: Record<number, number>;
}

export const STALL_MS = 20;

/** How many of `latencies` (ms) are over STALL_MS. */
export const stalledCount = (latencies: readonly number[]): number => latencies.filter((ms) => ms > STALL_MS).length;

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Closed loop: `concurrency` clients each send the next request as soon as the last is answered, until `total` are done. Loopback only. */
export async function closedLoop(label: string, total: number, concurrency: number, one: (i: number) => Promise<{ status: number }>): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t0 = performance.now();
        const reply = await one(i);
        latencies.push(performance.now() - t0);
        statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { label, requests: total, rps: total / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), stalled: stalledCount(latencies), statuses };
}

/** The workers the gateway is read against: hello-world (the ceiling) and the floor of its own design (bench/floor-worker/). */
export type BenchWorker = 'hello' | 'floor';

const BENCH_WORKER_CONFIGS: Record<BenchWorker, string> = {
  hello: `name = "hello"\nmain = ${JSON.stringify(resolve(ROOT, 'bench/hello-worker.ts'))}\ncompatibility_date = "2026-04-01"\n`,
  floor: [
    'name = "floor"',
    `main = ${JSON.stringify(resolve(ROOT, 'bench/floor-worker/index.ts'))}`,
    'compatibility_date = "2026-04-01"',
    '[[durable_objects.bindings]]',
    'name = "TENANT"',
    'class_name = "FloorTenant"',
    '[[durable_objects.bindings]]',
    'name = "QUEUE"',
    'class_name = "FloorQueue"',
    '[[migrations]]',
    'tag = "v1"',
    'new_sqlite_classes = ["FloorTenant", "FloorQueue"]',
    '',
  ].join('\n'),
};

/** Writes the worker's wrangler config into `dir` (a config of its own, so wrangler does not pick up the project's) and returns its path. */
export async function benchWorkerConfig(dir: string, worker: BenchWorker): Promise<string> {
  const config = join(dir, `${worker}.toml`);
  await writeFile(config, BENCH_WORKER_CONFIGS[worker]);
  return config;
}

/** A bench worker under `wrangler dev`, in a temp dir of its own (its Durable Objects' state goes there). */
export async function startDevWorker(worker: BenchWorker): Promise<{ url: string; process: ManagedProcess }> {
  const dir = await mkdtemp(join(tmpdir(), `lumen-${worker}-`));
  const config = await benchWorkerConfig(dir, worker);
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [resolve(ROOT, 'node_modules/wrangler/bin/wrangler.js'), 'dev', '--config', config, '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(await freePort()), '--show-interactive-dev-session=false', '--log-level', 'warn'],
    { cwd: dir, detached: true, stdio: 'ignore', env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true' } },
  );
  const managed = new ManagedProcess(worker, child);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 240; i++) {
    try {
      // Any answer means it is up: the floor answers an unauthenticated request with 401.
      if ((await send(url)).status > 0) return { url, process: managed };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await managed.stop();
  throw new Error(`${worker} worker did not start`);
}

export function machine(): string {
  return `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

export const round = (value: number, digits = 1) => Number(value.toFixed(digits));

/** Prompts the pipeline benchmarks cycle through: a spread of object counts, styles and backgrounds. */
export const BENCH_PROMPTS: readonly string[] = [
  'a red circle on a blue background',
  'three pastel stars above a house, ghibli style',
  'a green triangle on sand',
  'two yellow hearts, neon',
  'a purple dragon on the left under a sky blue sky',
  'a tiny cat next to a huge tree at night',
  'a yellow star and a blue circle on a white background',
  'an orange square and a pink moon over the sea',
];

/** A one-image PNG job as the gateway would hand it to an origin, with `fields` on top of the API's defaults. */
export function benchJob(fields: Pick<GenerationSpec, 'jobId' | 'prompt' | 'width' | 'height' | 'seed'> & Partial<GenerationSpec>): GenerationSpec {
  return { n: 1, quality: 'auto', outputFormat: 'png', outputCompression: 100, ...fields };
}

/** The pipeline benchmarks' logger: warnings and errors only, with their fields when there are any. */
export const benchLogger: Logger = {
  debug() {},
  info() {},
  warn: (message, fields) => console.warn(message, ...(fields ? [fields] : [])),
  error: (message, fields) => console.error(message, ...(fields ? [fields] : [])),
};

/** What a generation request answered: its status, its latency, its job's id and its admission path (`Lumen-Admission`). */
export interface Submitted {
  status: number;
  latencyMs: number;
  /** When it was sent, in the epoch milliseconds the gateway stamps jobs with. */
  sentAt: number;
  jobId?: string;
  admission?: string;
  /** The OpenAI error's `code` of a 4xx or 5xx. */
  errorCode?: string;
}

/** The images API of one gateway, as the admission benches drive it. No timeouts: a synchronous request may wait minutes behind a backlog. */
export function imagesClient(baseUrl: string, request: Record<string, unknown>) {
  const submit = async (key: string, extra: Record<string, string> = {}): Promise<Submitted> => {
    const sentAt = Date.now();
    const t0 = performance.now();
    const reply = await send(`${baseUrl}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...extra },
      body: JSON.stringify(request),
    });
    const header = (name: string) => {
      const value = reply.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const body = (reply.status === 202 ? JSON.parse(reply.body) : {}) as { id?: string };
    let errorCode: string | undefined;
    if (reply.status >= 400) {
      try {
        errorCode = (JSON.parse(reply.body) as { error?: { code?: string } }).error?.code ?? undefined;
      } catch {
        errorCode = 'not_json';
      }
    }
    return { status: reply.status, latencyMs: performance.now() - t0, sentAt, jobId: body.id ?? header('lumen-job-id'), admission: header('lumen-admission'), errorCode };
  };
  const jobStatus = async (key: string, id: string): Promise<string> =>
    (JSON.parse((await send(`${baseUrl}/v1/images/jobs/${id}`, { headers: { authorization: `Bearer ${key}` } })).body) as { status: string }).status;
  /** Jobs/s the origins finish when kept busy: `jobs` queued at once, timed until the last succeeds. */
  const measureCapacity = async (key: string, jobs: number): Promise<number> => {
    const t0 = performance.now();
    const queued = await Promise.all(Array.from({ length: jobs }, () => submit(key, { prefer: 'respond-async' })));
    for (const job of queued) while ((await jobStatus(key, job.jobId!)) !== 'succeeded') await new Promise((resolve) => setTimeout(resolve, 50));
    return jobs / ((performance.now() - t0) / 1000);
  };
  return { submit, jobStatus, measureCapacity };
}

/** Lifts these tenants' plan limits, reads included (per-tenant overrides, immediate): the admission benches measure the queue, not rate limits. */
export async function liftLimits(baseUrl: string, adminSecret: string, tenants: readonly string[]): Promise<void> {
  const generous = { requestsPerMinute: 1_000_000, readsPerMinute: 1_000_000, imagesPerMinute: 1_000_000, concurrentJobs: 100_000 };
  for (const tenant of tenants) {
    const response = await fetch(`${baseUrl}/v1/admin/tenants/${tenant}/limits`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminSecret}`, 'content-type': 'application/json' },
      body: JSON.stringify(generous),
    });
    if (!response.ok) throw new Error(`could not lift ${tenant}'s limits: ${response.status} ${await response.text()}`);
  }
}
