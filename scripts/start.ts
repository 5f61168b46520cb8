// `npm start`: the whole Lumen system on this machine, in one terminal.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { newSecret } from '../gateway/keys.js';
import {
  assertPortFree,
  ManagedProcess,
  PortInUseError,
  ROOT,
  seedTenant,
  startGateway,
  startOrigin,
  type DevKey,
  type StackSecrets,
} from './local-stack.js';

const DEV_VARS = resolve(ROOT, '.dev.vars');
const STATE_DIR = resolve(ROOT, '.lumen');
const DEV_KEYS = resolve(STATE_DIR, 'dev-keys.json');

const colours = { gateway: '\x1b[36m', origin: '\x1b[35m', lumen: '\x1b[32m' } as const;
const reset = '\x1b[0m';
function log(source: keyof typeof colours, line: string): void {
  const prefix = process.stdout.isTTY ? `${colours[source]}[${source}]${reset}` : `[${source}]`;
  process.stdout.write(`${prefix} ${line}\n`);
}

/** Reads `.dev.vars`, creating it with fresh random secrets on first run. */
async function loadSecrets(): Promise<StackSecrets> {
  if (!existsSync(DEV_VARS)) {
    const fresh = `ADMIN_SECRET=${randomBytes(24).toString('hex')}\nORIGIN_SECRET=${randomBytes(24).toString('hex')}\n`;
    await writeFile(DEV_VARS, fresh, { mode: 0o600 });
    log('lumen', 'created .dev.vars with new ADMIN_SECRET and ORIGIN_SECRET');
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

function banner(url: string, keys: DevKey[]): string {
  const pro = keys.find((key) => key.tier === 'pro')!;
  return [
    '',
    `Lumen is running at ${url}`,
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
    'Ctrl-C stops everything.',
    '',
  ].join('\n');
}

const processes: ManagedProcess[] = [];

async function main(): Promise<void> {
  const host = process.env.LUMEN_HOST ?? '127.0.0.1';
  const port = Number(process.env.LUMEN_PORT ?? 8787);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`LUMEN_PORT must be a port number, got "${process.env.LUMEN_PORT}"`);
  const dbUrl = process.env.LUMEN_DB_URL ?? `file:${resolve(STATE_DIR, 'origin.db')}`;
  const apiPort = Number(process.env.LUMEN_API_PORT ?? 8790);
  await assertPortFree(apiPort, host, 'LUMEN_API_PORT');
  const secrets = await loadSecrets();
  const keySecrets = await devKeySecrets();

  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('lumen', 'stopping…');
    // Origins first, so they finish or checkpoint their passes while the gateway still answers.
    for (const child of [...processes].reverse()) await child.stop(15_000);
    log('lumen', 'stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  log('lumen', `starting gateway (wrangler dev) on ${host}:${port}…`);
  const gateway = await startGateway({
    port,
    host,
    persistTo: resolve(ROOT, '.wrangler/state'),
    vars: { ORIGIN_API_URLS: `http://${host}:${apiPort}` },
    onLog: (line) => log('gateway', line),
  });
  processes.push(gateway.process);

  const keys = [
    await seedTenant(gateway.url, secrets.adminSecret, 'devfree', 'free', keySecrets.free),
    await seedTenant(gateway.url, secrets.adminSecret, 'devpro', 'pro', keySecrets.pro),
  ];

  log('lumen', 'starting origin-gpu worker…');
  const origin = await startOrigin({
    gatewayUrl: gateway.url,
    originSecret: secrets.originSecret,
    dbUrl,
    workerId: process.env.LUMEN_WORKER_ID ?? 'origin-1',
    slots: Number(process.env.LUMEN_SLOTS ?? 1),
    env: { LUMEN_API_PORT: String(apiPort), LUMEN_API_HOST: host, LUMEN_PROVENANCE_KEY_FILE: resolve(STATE_DIR, 'provenance-key.pem') },
    onLog: (line) => log('origin', line),
  });
  processes.push(origin);

  for (const child of processes) {
    void child.exited.then((code) => {
      if (stopping) return;
      log('lumen', `${child.name} exited unexpectedly (code ${code}); stopping the rest`);
      void stopAll(1);
    });
  }
  process.stdout.write(banner(gateway.url, keys));
}

main().catch(async (error: unknown) => {
  const message = error instanceof PortInUseError ? error.message : `npm start failed: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`${message}\n`);
  for (const child of processes.reverse()) await child.stop(5_000);
  process.exit(1);
});
