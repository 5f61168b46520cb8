// Shared pieces of the benchmarks: a bounded load generator, percentiles,
// a hello-world worker on the same runtime as the ceiling, and machine facts.
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, ManagedProcess, ROOT } from '../scripts/local-stack.js';

export interface LoadResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  statuses: Record<number, number>;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Closed-loop load: `concurrency` clients send until `total` requests are done. Loopback only. */
export async function closedLoop(total: number, concurrency: number, send: (i: number) => Promise<Response>): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t0 = performance.now();
        const response = await send(i);
        await response.arrayBuffer();
        latencies.push(performance.now() - t0);
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { requests: total, seconds, requestsPerSecond: total / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), statuses };
}

const HELLO_WORKER = `export default { fetch() { return new Response('hello'); } };\n`;

/** A hello-world worker under `wrangler dev`, the ceiling the gateway is compared with. */
export async function startHelloWorker(): Promise<{ url: string; process: ManagedProcess }> {
  const dir = await mkdtemp(join(tmpdir(), 'lumen-hello-'));
  await writeFile(join(dir, 'hello.js'), HELLO_WORKER);
  await writeFile(join(dir, 'wrangler.toml'), `name = "hello"\nmain = "hello.js"\ncompatibility_date = "2026-04-01"\n`);
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [resolve(ROOT, 'node_modules/wrangler/bin/wrangler.js'), 'dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(await freePort()), '--show-interactive-dev-session=false', '--log-level', 'warn'],
    { cwd: dir, detached: true, stdio: 'ignore', env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true' } },
  );
  const managed = new ManagedProcess('hello', child);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 240; i++) {
    try {
      if ((await fetch(url)).ok) return { url, process: managed };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await managed.stop();
  throw new Error('hello worker did not start');
}

export function machine(): string {
  return `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

export const round = (value: number, digits = 1) => Number(value.toFixed(digits));
