// Boots a private copy of the whole system for one test file: real workerd
// through `wrangler dev`, real origin-gpu processes, a fresh libSQL file.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { checkAnswersAgainstOpenApi } from './openapi-check.js';
import {
  freePort,
  newSecretForTests,
  seedTenant,
  startGateway,
  startOrigin,
  type ManagedProcess,
  type StackSecrets,
} from './stack-imports.js';

export interface TestStack {
  url: string;
  dir: string;
  dbUrl: string;
  secrets: StackSecrets;
  gateway: ManagedProcess;
  origins: ManagedProcess[];
  /** Stops the gateway and starts it again on the same port and state, as after a crash or deploy. */
  restartGateway(): Promise<void>;
  logs: string[];
  addOrigin(workerId: string, env?: Record<string, string>): Promise<ManagedProcess>;
  /** A tenant with one key; `limits` overrides its plan for tests about something else. */
  key(tenant: string, tier: 'free' | 'plus' | 'pro' | 'enterprise', limits?: Record<string, number>): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestStack(options: { vars?: Record<string, string>; origins?: number } = {}): Promise<TestStack> {
  const dir = await mkdtemp(join(tmpdir(), 'lumen-e2e-'));
  const secrets = { adminSecret: randomBytes(16).toString('hex'), originSecret: randomBytes(16).toString('hex') };
  const logs: string[] = [];
  const port = await freePort();
  // The first origin also serves the origin API (provenance, safety audit) the gateway calls.
  const apiPort = await freePort();
  let apiAssigned = false;
  const gatewayOptions = {
    port,
    persistTo: join(dir, 'state'),
    secrets,
    vars: { ORIGIN_API_URLS: `http://127.0.0.1:${apiPort}`, ...options.vars },
    onLog: (line: string) => logs.push(`[gateway] ${line}`),
  };
  const { url, process: firstGateway } = await startGateway(gatewayOptions);
  // Every answer a test gets from this stack is checked against the OpenAPI document; stop() reports any that does not match.
  const openApiCheck = checkAnswersAgainstOpenApi(url);
  let gateway = firstGateway;
  const dbUrl = `file:${join(dir, 'origin.db')}`;
  const origins: ManagedProcess[] = [];
  const addOrigin = async (workerId: string, env?: Record<string, string>) => {
    const origin = await startOrigin({
      gatewayUrl: url,
      originSecret: secrets.originSecret,
      dbUrl,
      workerId,
      env: {
        LUMEN_PROVENANCE_KEY_FILE: join(dir, 'provenance-key.pem'),
        ...(!apiAssigned && { LUMEN_API_PORT: String(apiPort) }),
        ...env,
      },
      onLog: (line) => logs.push(`[${workerId}] ${line}`),
    });
    apiAssigned = true;
    origins.push(origin);
    return origin;
  };
  try {
    for (let i = 0; i < (options.origins ?? 1); i++) await addOrigin(`origin-${i + 1}`);
  } catch (error) {
    await gateway.stop(2_000);
    await openApiCheck.stop().catch(() => undefined);
    throw error;
  }
  return {
    url,
    dir,
    dbUrl,
    secrets,
    get gateway() {
      return gateway;
    },
    origins,
    restartGateway: async () => {
      await gateway.stop(5_000);
      gateway = (await startGateway(gatewayOptions)).process;
    },
    logs,
    addOrigin,
    key: async (tenant, tier, limits) => {
      const { key } = await seedTenant(url, secrets.adminSecret, tenant, tier, newSecretForTests());
      if (limits) {
        const response = await fetch(`${url}/v1/admin/tenants/${tenant}/limits`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${secrets.adminSecret}`, 'content-type': 'application/json' },
          body: JSON.stringify(limits),
        });
        if (!response.ok) throw new Error(`limits override failed: ${response.status}`);
      }
      return key;
    },
    stop: async () => {
      await Promise.all(origins.map((origin) => origin.stop(5_000)));
      await gateway.stop(5_000);
      await rm(dir, { recursive: true, force: true });
      await openApiCheck.stop();
    },
  };
}

/** A job as `GET /v1/images/jobs/:id` shows it, in the fields the tests read. */
export interface PublicJob {
  id: string;
  status: string;
  passes_done: number;
  attempt: number;
}

/** Submits a generation with `Prefer: respond-async` and returns its job id; anything but a 202 fails. */
export async function submitAsync(url: string, key: string, body: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${url}/v1/images/generations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', prefer: 'respond-async' },
    body: JSON.stringify(body),
  });
  if (response.status !== 202) throw new Error(`expected 202 for an async generation, got ${response.status}: ${await response.text()}`);
  return ((await response.json()) as PublicJob).id;
}

export async function jobView(url: string, key: string, id: string): Promise<PublicJob> {
  const response = await fetch(`${url}/v1/images/jobs/${id}`, { headers: { authorization: `Bearer ${key}` } });
  return (await response.json()) as PublicJob;
}

/** Decodes an encoded image and returns a pixel reader. */
export async function pixels(bytes: Buffer): Promise<{ width: number; height: number; at(x: number, y: number): [number, number, number] }> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    at: (x, y) => {
      const offset = (y * info.width + x) * info.channels;
      return [data[offset]!, data[offset + 1]!, data[offset + 2]!];
    },
  };
}

/** Polls `probe` every 100 ms until it yields a value; fails after `timeoutMs` naming what it waited for. */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
