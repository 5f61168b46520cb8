// Boots the whole local system — gateway under `wrangler dev` (workerd, real
// Durable Objects and R2 persisted on disk), origin-gpu workers, the libSQL
// file — for `npm start` and for the end-to-end tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ExitStatus, Supervisable } from './supervisor.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface StackSecrets {
  adminSecret: string;
  originSecret: string;
}

export interface GatewayOptions {
  port: number;
  host?: string;
  /** Where Durable Objects and R2 keep their data; survives restarts. */
  persistTo: string;
  /** Secrets passed on the command line (visible in `ps`): for throwaway test stacks only. Without them wrangler reads `.dev.vars`. */
  secrets?: StackSecrets;
  /** A dotenv file with the secrets, read instead of `.dev.vars` next to wrangler.toml. */
  envFile?: string;
  /** Extra `[vars]` overrides, e.g. a short LEASE_TTL_MS for crash tests. */
  vars?: Record<string, string>;
  /** Receives every log line of the process. */
  onLog?: (line: string) => void;
  /**
   * wrangler's own log level. `info` (the default) logs a line per request, which a benchmark must not pay
   * for when its ceiling does not: benches pass `warn`, as their hello-world and floor workers run.
   */
  logLevel?: 'info' | 'warn';
  /** Gives up waiting for readiness and stops the process, e.g. on Ctrl-C during a start. */
  signal?: AbortSignal;
}

export interface OriginOptions {
  gatewayUrl: string;
  originSecret: string;
  dbUrl: string;
  workerId: string;
  slots?: number;
  env?: Record<string, string>;
  onLog?: (line: string) => void;
  signal?: AbortSignal;
}

export class PortInUseError extends Error {
  override name = 'PortInUseError';
  constructor(readonly port: number, readonly host: string, setting = 'LUMEN_PORT') {
    super(`Port ${port} on ${host} is already in use. Stop whatever holds it, or pick another port with ${setting}=<port>.`);
  }
}

/** Resolves when `port` can be bound on `host`, rejects with PortInUseError otherwise. */
export function assertPortFree(port: number, host = '127.0.0.1', setting = 'LUMEN_PORT'): Promise<void> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, host, setting) : error),
    );
    server.listen(port, host, () => server.close(() => resolvePort()));
  });
}

/** A port the OS says is free right now. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function pipeLines(child: ChildProcess, onLog: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', onLog);
  }
}

/** A child process that can be stopped politely, then firmly. */
export class ManagedProcess implements Supervisable {
  readonly exited: Promise<number | null>;
  /** The exit code and the signal that ended it, for the supervisor's log. */
  readonly ended: Promise<ExitStatus>;
  #exitCode: number | null | undefined;

  constructor(readonly name: string, readonly child: ChildProcess) {
    this.ended = new Promise((resolveEnd) => {
      child.once('exit', (code, signal) => {
        this.#exitCode = code ?? (signal ? null : 0);
        resolveEnd({ code, signal });
      });
    });
    this.exited = this.ended.then(() => this.#exitCode ?? null);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.#exitCode === undefined;
  }

  /** SIGTERM to the process group, then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.#signal('SIGTERM');
    const timer = setTimeout(() => this.#signal('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Simulates a crash: no cleanup, no goodbye. After an exit it still ends what is left of the group (wrangler's workerd). */
  async kill(): Promise<void> {
    if (!this.running) {
      try {
        process.kill(-this.child.pid!, 'SIGKILL');
      } catch {
        // the group is already gone
      }
      return;
    }
    this.#signal('SIGKILL');
    await this.exited;
  }

  #signal(signal: NodeJS.Signals): void {
    try {
      // Negative pid: the whole group, so wrangler's workerd child goes too.
      process.kill(-this.child.pid!, signal);
    } catch {
      this.child.kill(signal);
    }
  }
}

async function waitForHealthy(url: string, process: ManagedProcess, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    if (!process.running) throw new Error(`${process.name} exited before it became ready`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 250));
  }
  throw new Error(`${process.name} did not become ready at ${url} within ${timeoutMs} ms`);
}

/** Starts the gateway under `wrangler dev` and waits until it answers. */
export async function startGateway(options: GatewayOptions): Promise<{ url: string; process: ManagedProcess }> {
  const host = options.host ?? '127.0.0.1';
  await assertPortFree(options.port, host);
  const inspectorPort = await freePort(host);
  const vars = {
    ...(options.secrets && { ADMIN_SECRET: options.secrets.adminSecret, ORIGIN_SECRET: options.secrets.originSecret }),
    ...options.vars,
  };
  const args = [
    resolve(ROOT, 'node_modules/wrangler/bin/wrangler.js'),
    'dev',
    '--config', resolve(ROOT, 'wrangler.toml'),
    '--ip', host,
    '--port', String(options.port),
    '--inspector-port', String(inspectorPort),
    '--persist-to', options.persistTo,
    ...(options.envFile ? ['--env-file', options.envFile] : []),
    '--show-interactive-dev-session=false',
    '--log-level', options.logLevel ?? 'info',
    ...Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1', CI: 'true' },
  });
  const managed = new ManagedProcess('gateway', child);
  pipeLines(child, options.onLog ?? (() => undefined));
  const url = `http://${host}:${options.port}`;
  try {
    await waitForHealthy(`${url}/healthz`, managed, 90_000, options.signal);
  } catch (error) {
    await managed.stop(2_000);
    throw error;
  }
  return { url, process: managed };
}

/** Starts one origin-gpu worker process. It is ready once it logs (at info) that it is leasing, so do not raise LUMEN_LOG_LEVEL above info here. */
export async function startOrigin(options: OriginOptions): Promise<ManagedProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'origin-gpu/server.ts')], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      LUMEN_GATEWAY_URL: options.gatewayUrl,
      LUMEN_ORIGIN_SECRET: options.originSecret,
      LUMEN_DB_URL: options.dbUrl,
      LUMEN_WORKER_ID: options.workerId,
      LUMEN_SLOTS: String(options.slots ?? 1),
      ...options.env,
    },
  });
  const managed = new ManagedProcess(`origin ${options.workerId}`, child);
  const ready = new Promise<void>((resolveReady, reject) => {
    const onLog = options.onLog ?? (() => undefined);
    // What the origin said last, so a failed start says why (its logs go to onLog, which a caller may not show).
    const lastLines: string[] = [];
    pipeLines(child, (line) => {
      onLog(line);
      lastLines.push(line);
      if (lastLines.length > 5) lastLines.shift();
      if (line.includes('"leasing jobs"')) resolveReady();
    });
    void managed.exited.then((code) =>
      reject(new Error(`origin ${options.workerId} exited with code ${code} before it was ready; its last lines:\n${lastLines.join('\n')}`)),
    );
  });
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`origin ${options.workerId} was not ready within 60 s`)), 60_000).unref(),
  );
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(options.signal?.reason);
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([ready, timeout, aborted]);
  } catch (error) {
    await managed.stop(2_000);
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  return managed;
}

export interface DevKey {
  tenant: string;
  tier: 'free' | 'plus' | 'pro' | 'enterprise';
  key: string;
}

/** Creates (or re-creates, idempotently) a tenant with one key whose secret the caller chose. */
export async function seedTenant(gatewayUrl: string, adminSecret: string, tenant: string, tier: DevKey['tier'], secret: string): Promise<DevKey> {
  const headers = { authorization: `Bearer ${adminSecret}`, 'content-type': 'application/json' };
  const put = await fetch(`${gatewayUrl}/v1/admin/tenants/${tenant}`, { method: 'PUT', headers, body: JSON.stringify({ tier }) });
  if (!put.ok) throw new Error(`seeding tenant ${tenant} failed: ${put.status} ${await put.text()}`);
  const post = await fetch(`${gatewayUrl}/v1/admin/tenants/${tenant}/keys`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name: `${tier}-dev`, secret }),
  });
  if (!post.ok) throw new Error(`seeding a key for ${tenant} failed: ${post.status} ${await post.text()}`);
  const { key } = (await post.json()) as { key: string };
  return { tenant, tier, key };
}

/** The playground with a dev key filled in: the page reads `#key=` once and takes it out of the address bar. */
export function playgroundUrl(url: string, key: string): string {
  return `${url}/#key=${encodeURIComponent(key)}`;
}
