// `npm start`: the whole Lumen system on this machine, in one terminal.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { newSecret } from '../protocol/api-key.js';
import { assertPortFree, playgroundUrl, PortInUseError, ROOT, seedTenant, startGateway, startOrigin, type DevKey, type StackSecrets } from './local-stack.js';
import { Supervisor, type ChildState } from './supervisor.js';

// LUMEN_STATE_DIR moves everything npm start keeps (secrets, keys, databases) into one directory,
// e.g. a temporary one for a test; without it the usual places next to wrangler.toml are used.
const CUSTOM_STATE_DIR = process.env.LUMEN_STATE_DIR ? resolve(process.env.LUMEN_STATE_DIR) : undefined;
const STATE_DIR = CUSTOM_STATE_DIR ?? resolve(ROOT, '.lumen');
const DEV_VARS = CUSTOM_STATE_DIR ? resolve(CUSTOM_STATE_DIR, '.dev.vars') : resolve(ROOT, '.dev.vars');
const GATEWAY_STATE = CUSTOM_STATE_DIR ? resolve(CUSTOM_STATE_DIR, 'gateway') : resolve(ROOT, '.wrangler/state');
const DEV_KEYS = resolve(STATE_DIR, 'dev-keys.json');
const PROCESS_FILE = process.env.LUMEN_PROCESS_FILE ? resolve(process.env.LUMEN_PROCESS_FILE) : resolve(STATE_DIR, 'processes.json');

const colours = { gateway: '\x1b[36m', origin: '\x1b[35m', lumen: '\x1b[32m' } as const;
const reset = '\x1b[0m';
/** wrangler's line for a successful GET /healthz, as the supervisor's probe makes every 2 s. */
const HEALTH_PROBE_LOG = /GET \/healthz 200\b/;

function log(source: keyof typeof colours, line: string): void {
  const prefix = process.stdout.isTTY ? `${colours[source]}[${source}]${reset}` : `[${source}]`;
  process.stdout.write(`${prefix} ${line}\n`);
}

/** Reads `.dev.vars`, creating it with fresh random secrets on first run. */
async function loadSecrets(): Promise<StackSecrets> {
  if (!existsSync(DEV_VARS)) {
    const fresh = `ADMIN_SECRET=${randomBytes(24).toString('hex')}\nORIGIN_SECRET=${randomBytes(24).toString('hex')}\n`;
    await mkdir(STATE_DIR, { recursive: true });
    await writeFile(DEV_VARS, fresh, { mode: 0o600 });
    log('lumen', `created ${DEV_VARS} with new ADMIN_SECRET and ORIGIN_SECRET`);
  }
  const vars = Object.fromEntries(
    (await readFile(DEV_VARS, 'utf8'))
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#') && line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')).trim(), line.slice(line.indexOf('=') + 1).trim().replace(/^"|"$/g, '')]),
  );
  if (!vars.ADMIN_SECRET || !vars.ORIGIN_SECRET) throw new Error('.dev.vars must define ADMIN_SECRET and ORIGIN_SECRET');
  return { adminSecret: vars.ADMIN_SECRET, originSecret: vars.ORIGIN_SECRET };
}

/** Dev key secrets are generated once and kept in .lumen/, so keys stay the same across restarts. */
async function devKeySecrets(): Promise<{ free: string; pro: string }> {
  await mkdir(STATE_DIR, { recursive: true });
  if (existsSync(DEV_KEYS)) return JSON.parse(await readFile(DEV_KEYS, 'utf8')) as { free: string; pro: string };
  const secrets = { free: newSecret(), pro: newSecret() };
  await writeFile(DEV_KEYS, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

function banner(url: string, keys: DevKey[], originMetricsUrl: string, adminSecret: string): string {
  const pro = keys.find((key) => key.tier === 'pro')!;
  return [
    '',
    `Lumen is running at ${url}`,
    '',
    `Open the playground (signed in with the pro key): ${playgroundUrl(url, pro.key)}`,
    '',
    ...keys.map((key) => `  ${key.tier.padEnd(4)} key (tenant ${key.tenant}): ${key.key}`),
    '',
    'Try it:',
    `  curl -s ${url}/v1/images/generations \\`,
    `    -H "Authorization: Bearer ${pro.key}" \\`,
    `    -H "Content-Type: application/json" \\`,
    `    -d '{"prompt":"a red circle on a blue background","size":"1024x1024"}' \\`,
    `    | node -e "process.stdout.write(Buffer.from(JSON.parse(require('fs').readFileSync(0)).data[0].b64_json,'base64'))" > image.png`,
    '',
    `Ops console: ${url}/admin/ (admin secret: ${adminSecret}, also in .dev.vars)`,
    `The origin's Prometheus metrics: ${originMetricsUrl}`,
    '',
    'Crashed parts are restarted; Ctrl-C stops everything.',
    '',
  ].join('\n');
}

/** What runs now, for tools and tests that need the pids (rewritten on every start, exit and restart). */
interface ProcessFile {
  supervisor: number;
  url: string;
  updatedAt: number;
  children: ChildState[];
}

function writeProcessFile(url: string, children: ChildState[]): void {
  const content: ProcessFile = { supervisor: process.pid, url, updatedAt: Date.now(), children };
  // Write then rename, so a reader never sees half a file.
  const partial = `${PROCESS_FILE}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(content, null, 2)}\n`);
  renameSync(partial, PROCESS_FILE);
}

let supervisor: Supervisor | undefined;

async function main(): Promise<void> {
  const host = process.env.LUMEN_HOST ?? '127.0.0.1';
  const port = Number(process.env.LUMEN_PORT ?? 8787);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`LUMEN_PORT must be a port number, got "${process.env.LUMEN_PORT}"`);
  const dbUrl = process.env.LUMEN_DB_URL ?? `file:${resolve(STATE_DIR, 'origin.db')}`;
  const apiPort = Number(process.env.LUMEN_API_PORT ?? 8790);
  await assertPortFree(apiPort, host, 'LUMEN_API_PORT');
  const metricsPort = Number(process.env.LUMEN_METRICS_PORT ?? 8791);
  await assertPortFree(metricsPort, host, 'LUMEN_METRICS_PORT');
  const secrets = await loadSecrets();
  const keySecrets = await devKeySecrets();
  const url = `http://${host}:${port}`;
  mkdirSync(dirname(PROCESS_FILE), { recursive: true });

  supervisor = new Supervisor({
    log: (line) => log('lumen', line),
    onChange: (children) => writeProcessFile(url, children),
  });
  const stopAll = async () => {
    if (!supervisor || supervisor.stopping) return;
    log('lumen', 'stopping…');
    // Origins were added last, so they stop first and finish or checkpoint their passes while the gateway still answers.
    await supervisor.stop();
    rmSync(PROCESS_FILE, { force: true });
    log('lumen', 'stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stopAll());
  process.on('SIGTERM', () => void stopAll());

  log('lumen', `starting gateway (wrangler dev) on ${host}:${port}…`);
  await supervisor.add({
    name: 'gateway',
    // The same port and persisted state each time, so jobs, keys and images survive a restart.
    start: async (signal) =>
      (
        await startGateway({
          signal,
          port,
          host,
          persistTo: GATEWAY_STATE,
          envFile: DEV_VARS,
          vars: { ORIGIN_API_URLS: `http://${host}:${apiPort}` },
          // wrangler logs every request; the supervisor's own health probes would drown the rest.
          onLog: (line) => {
            if (!HEALTH_PROBE_LOG.test(line)) log('gateway', line);
          },
        })
      ).process,
    // wrangler stays up when its workerd dies, so its exit alone would not tell.
    health: {
      probe: async () => (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) })).ok,
      intervalMs: 2_000,
      failuresBeforeRestart: 3,
    },
    stopGraceMs: 15_000,
  });

  // The gateway tags each key it installs (gateway/keys.ts): a key from before tags, or from before a change of
  // KEY_SIGNING_SECRET / ORIGIN_SECRET, is re-issued here for the same stored secret, and the banner shows the new one.
  const keys = [
    await seedTenant(url, secrets.adminSecret, 'devfree', 'free', keySecrets.free),
    await seedTenant(url, secrets.adminSecret, 'devpro', 'pro', keySecrets.pro),
  ];

  const workerId = process.env.LUMEN_WORKER_ID ?? 'origin-1';
  log('lumen', 'starting origin-gpu worker…');
  await supervisor.add({
    name: workerId,
    start: (signal) =>
      startOrigin({
        signal,
        gatewayUrl: url,
        originSecret: secrets.originSecret,
        dbUrl,
        workerId,
        slots: Number(process.env.LUMEN_SLOTS ?? 1),
        env: {
          LUMEN_API_PORT: String(apiPort),
          LUMEN_API_HOST: host,
          LUMEN_METRICS_PORT: String(metricsPort),
          LUMEN_METRICS_HOST: host,
          LUMEN_PROVENANCE_KEY_FILE: resolve(STATE_DIR, 'provenance-key.pem'),
        },
        onLog: (line) => log('origin', line),
      }),
    stopGraceMs: 15_000,
  });
  process.stdout.write(banner(url, keys, `http://${host}:${metricsPort}/metrics`, secrets.adminSecret));
}

main().catch(async (error: unknown) => {
  // Ctrl-C during startup: stopAll is already ending everything.
  if (supervisor?.stopping) return;
  const message = error instanceof PortInUseError ? error.message : `npm start failed: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`${message}\n`);
  // A first start failed: end whatever is already up.
  await supervisor?.stop();
  rmSync(PROCESS_FILE, { force: true });
  process.exit(1);
});
