// Gateway benchmark: requests/s and p50/p99 of the auth + rate-limit path,
// beside a hello-world worker on the same runtime (the ceiling), under
// `wrangler dev` and under Miniflare directly; then signups/s.
//
//   node --import tsx bench/gateway.ts [--requests 3000] [--concurrency 4] [--signup-seconds 60] [--only signups] [--target miniflare|wrangler]
//
// Loopback only, bounded request counts. Writes nothing outside temp dirs;
// paste the printed Markdown into docs/BENCHMARKS.md.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, freemem, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Miniflare } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { freePort, ROOT, startGateway } from '../scripts/local-stack.js';
import { benchWorkerConfig, closeConnections, closedLoop as load, percentile, send, startDevWorker, type BenchWorker, type LoadResult, type Reply, STALL_MS, stalledCount } from './harness.js';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '3000' },
    concurrency: { type: 'string', default: '4' },
    'signup-seconds': { type: 'string', default: '60' },
    /** `signups` skips the request paths, to measure signups alone. */
    only: { type: 'string', default: 'all' },
    /** `miniflare` or `wrangler` runs one target only. */
    target: { type: 'string', default: 'both' },
  },
});
const REQUESTS = Math.min(20_000, Number(args.requests));
const CONCURRENCY = Math.min(64, Number(args.concurrency));
const SIGNUP_SECONDS = Math.min(300, Number(args['signup-seconds']));
const SIGNUPS_ONLY = args.only === 'signups';
/** One signup in this many comes from the same address, which must get exactly its per-IP limit and no more. */
const FLOOD_EVERY = 10;
const FLOOD_ADDRESS = '198.51.100.7';
/** The default per-IP limit (gateway/limits.ts), kept for the run so the flood address meets it. */
const PER_IP_PER_HOUR = 5;
const WARMUP = 300;
const ADMIN_SECRET = `bench-admin-${crypto.randomUUID()}`;
const ORIGIN_SECRET = `bench-origin-${crypto.randomUUID()}`;
const UNKNOWN_JOB = `job_0_${'0'.repeat(32)}`;
const WRANGLER = resolve(ROOT, 'node_modules/wrangler/bin/wrangler.js');
const quietEnv = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1', CI: 'true' };

const ROUNDS = 3;

/**
 * Measures every path in ROUNDS interleaved rounds (hello, then each gateway
 * path, again and again) and keeps each path's median round, so a burst of
 * noise on this small machine does not land on one path only.
 */
async function measureAll(paths: Record<string, (i: number) => Promise<Reply>>): Promise<Record<string, LoadResult>> {
  const rounds: Record<string, LoadResult[]> = {};
  for (const [label, one] of Object.entries(paths)) await load(`${label} (warm-up)`, WARMUP, CONCURRENCY, one);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, one] of Object.entries(paths)) (rounds[label] ??= []).push(await load(label, REQUESTS, CONCURRENCY, one));
  }
  const result: Record<string, LoadResult> = {};
  for (const [label, results] of Object.entries(rounds)) {
    const middle = [...results].sort((a, b) => a.rps - b.rps)[Math.floor(results.length / 2)]!;
    result[label] = middle;
    console.error(`  ${label}: ${middle.rps.toFixed(0)} req/s, p50 ${middle.p50.toFixed(2)} ms, p99 ${middle.p99.toFixed(2)} ms, ${middle.stalled} over ${STALL_MS} ms, ${JSON.stringify(middle.statuses)} (rounds: ${results.map((r) => r.rps.toFixed(0)).join(', ')} req/s)`);
  }
  return result;
}

// --- Builds

/**
 * The gateway as deployed, plus one route that runs exactly apiKeyAuth() +
 * rateLimit() and answers 404, so the rate-limit path is measured whether or
 * not gateway/routes/images.ts wires rateLimit() yet.
 */
async function buildGateway(dir: string): Promise<string> {
  const src = (path: string) => JSON.stringify(resolve(ROOT, path));
  const entry = join(dir, 'bench-entry.ts');
  await writeFile(
    entry,
    [
      `import gateway, { app } from ${src('gateway/index.ts')};`,
      `import { NotFoundError } from ${src('gateway/errors.ts')};`,
      `import { apiKeyAuth } from ${src('gateway/middleware/auth.ts')};`,
      `import { rateLimit } from ${src('gateway/middleware/rate-limit.ts')};`,
      `export * from ${src('gateway/index.ts')};`,
      `app.get('/bench/jobs/:id', apiKeyAuth(), rateLimit(), (c) => { throw new NotFoundError(\`No job with id '\${c.req.param('id')}'.\`); });`,
      `export default gateway;`,
      '',
    ].join('\n'),
  );
  const out = join(dir, 'gateway');
  await run(process.execPath, [WRANGLER, 'deploy', entry, '--dry-run', '--outdir', out, '--config', resolve(ROOT, 'wrangler.toml')], ROOT);
  const main = (await readdir(out)).find((file) => file.endsWith('.js'));
  if (!main) throw new Error('wrangler produced no bundle');
  return join(out, main);
}

/** A bench worker (hello-world or the floor) bundled as `wrangler deploy` would. */
async function buildBenchWorker(dir: string, worker: BenchWorker): Promise<string> {
  const out = join(dir, worker);
  await mkdir(out, { recursive: true });
  await run(process.execPath, [WRANGLER, 'deploy', '--config', await benchWorkerConfig(dir, worker), '--dry-run', '--outdir', out], dir);
  const main = (await readdir(out)).find((file) => file.endsWith('.js'));
  if (!main) throw new Error(`wrangler produced no ${worker} bundle`);
  return join(out, main);
}

function run(command: string, argv: string[], cwd: string): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, argv, { cwd, env: quietEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => (code === 0 ? resolveRun() : reject(new Error(`${argv.slice(0, 3).join(' ')} failed (${code}): ${stderr}`))));
  });
}

// --- Scenario

interface Target {
  name: string;
  gateway: string;
  hello: string;
  floor: string;
}

interface PathResults {
  hello: LoadResult;
  /** bench/floor-worker/'s auth + rate limit -> 404: what the design's per-request work costs on this runtime, with nothing else. */
  floor: LoadResult;
  healthz: LoadResult;
  realPath: LoadResult;
  realPathRateLimited: boolean;
  wired: LoadResult | null;
}

interface TargetResults {
  name: string;
  /** Null with `--only signups`. */
  paths: PathResults | null;
  signups: SignupResult;
}

interface SignupResult extends LoadResult {
  seconds: number;
  /** 201s the flood address got, of `floodSent`: exactly its per-IP limit when the limit holds. */
  floodAccepted: number;
  floodSent: number;
  /** Non-201 answers to addresses that signed up once each. */
  othersRefused: number;
  /** Each new key's first authenticated request, where its Tenant object is created and adopts the signup. */
  firstUse: LoadResult;
}

/** How many of the new keys the first-use phase tries. */
const FIRST_USES = 1_000;

/**
 * Signups in a closed loop for SIGNUP_SECONDS: every address signs up once,
 * except one that sends every FLOOD_EVERY-th request and must be held to the
 * per-IP limit while the others all get in. The global limit is raised out of
 * the way (it is tested exactly in test/gateway/signup.test.ts).
 */
async function sustainedSignups(base: string): Promise<SignupResult> {
  await admin(base, 'PUT', '/signup', { perIpPerHour: PER_IP_PER_HOUR, globalPerMinute: 1_000_000_000 });
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let next = 0;
  let floodAccepted = 0;
  let floodSent = 0;
  let othersRefused = 0;
  const keys: string[] = [];
  const started = performance.now();
  const deadline = started + SIGNUP_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const i = next++;
        const flood = i % FLOOD_EVERY === 0;
        const ip = flood ? FLOOD_ADDRESS : `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
        const t0 = performance.now();
        const reply = await send(`${base}/v1/signup`, { method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip }, body: '{}' });
        latencies.push(performance.now() - t0);
        statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
        if (reply.status === 201 && keys.length < FIRST_USES) keys.push((JSON.parse(reply.body) as { key: string }).key);
        if (flood) {
          floodSent++;
          if (reply.status === 201) floodAccepted++;
        } else if (reply.status !== 201) othersRefused++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await admin(base, 'PUT', '/signup', { perIpPerHour: PER_IP_PER_HOUR, globalPerMinute: 300 });
  latencies.sort((a, b) => a - b);
  const firstUse = await load('first use of a new key', keys.length, CONCURRENCY, (i) => send(`${base}/v1/images/jobs/${UNKNOWN_JOB}`, { headers: { authorization: `Bearer ${keys[i]}` } }));
  const result: SignupResult = {
    label: 'signups',
    requests: latencies.length,
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    stalled: stalledCount(latencies),
    statuses,
    seconds,
    floodAccepted,
    floodSent,
    othersRefused,
    firstUse,
  };
  console.error(
    `  signups: ${result.rps.toFixed(0)} /s over ${seconds.toFixed(0)} s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, ${JSON.stringify(statuses)}; ` +
      `flood address ${floodAccepted}/${floodSent} accepted; others refused ${othersRefused}`,
  );
  console.error(`  first use of ${firstUse.requests} new keys: ${firstUse.rps.toFixed(0)} /s, p50 ${firstUse.p50.toFixed(2)} ms, p99 ${firstUse.p99.toFixed(2)} ms, ${JSON.stringify(firstUse.statuses)}`);
  return result;
}

async function admin(base: string, method: string, path: string, body?: unknown): Promise<Reply> {
  const reply = await send(`${base}/v1/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (reply.status >= 300) throw new Error(`${method} ${path}: ${reply.status} ${reply.body}`);
  return reply;
}

async function measurePaths(target: Target, withWiredRoute: boolean): Promise<PathResults> {
  const base = target.gateway;
  // A pro tenant whose limits an admin raised out of the way: every request is admitted and does the full work.
  await admin(base, 'PUT', '/tenants/benchpro', { tier: 'pro' });
  const { key } = JSON.parse((await admin(base, 'POST', '/tenants/benchpro/keys', { name: 'bench' })).body) as { key: string };
  await admin(base, 'PUT', '/tenants/benchpro/limits', { requestsPerMinute: 1_000_000_000, imagesPerMinute: 1_000_000_000, readsPerMinute: 1_000_000_000 });
  const auth = { authorization: `Bearer ${key}` };

  const probe = await send(`${base}/v1/images/jobs/${UNKNOWN_JOB}`, { headers: auth });
  const realPathRateLimited = probe.headers['x-ratelimit-limit-reads'] !== undefined || probe.headers['x-ratelimit-limit-requests'] !== undefined;
  const measured = await measureAll({
    hello: () => send(`${target.hello}/`),
    floor: () => send(`${target.floor}/v1/images/jobs/${UNKNOWN_JOB}`, { headers: auth }),
    healthz: () => send(`${base}/healthz`),
    real: () => send(`${base}/v1/images/jobs/${UNKNOWN_JOB}`, { headers: auth }),
    ...(withWiredRoute && { wired: () => send(`${base}/bench/jobs/${UNKNOWN_JOB}`, { headers: auth }) }),
  });
  return { hello: measured.hello!, floor: measured.floor!, healthz: measured.healthz!, realPath: measured.real!, realPathRateLimited, wired: measured.wired ?? null };
}

async function runTarget(target: Target, withWiredRoute: boolean): Promise<TargetResults> {
  console.error(`${target.name}:`);
  const paths = SIGNUPS_ONLY ? null : await measurePaths(target, withWiredRoute);
  return { name: target.name, paths, signups: await sustainedSignups(target.gateway) };
}

async function underMiniflare(gatewayScript: string, helloScript: string, floorScript: string, floorConfig: string): Promise<TargetResults> {
  // Port 0: the kernel picks, so another process on this machine cannot take the port between choosing and binding it.
  const gateway = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    modules: true,
    scriptPath: gatewayScript,
    modulesRoot: dirname(gatewayScript),
    modulesRules: [{ type: 'Text', include: ['**/*.sql'], fallthrough: true }],
    compatibilityDate: '2026-04-01',
    compatibilityFlags: ['nodejs_compat'],
    // The same objects as wrangler.toml declares, so nothing the gateway calls is missing here.
    durableObjects: unstable_getMiniflareWorkerOptions(resolve(ROOT, 'wrangler.toml')).workerOptions.durableObjects,
    r2Buckets: ['IMAGES'],
    bindings: { ADMIN_SECRET, ORIGIN_SECRET, QUEUE_SHARDS: '4', SYNC_WAIT_MS: '120000', LEASE_TTL_MS: '10000', MAX_ATTEMPTS: '3' },
  });
  const hello = new Miniflare({ host: '127.0.0.1', port: 0, modules: true, scriptPath: helloScript, modulesRoot: dirname(helloScript), compatibilityDate: '2026-04-01' });
  const floor = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    modules: true,
    scriptPath: floorScript,
    modulesRoot: dirname(floorScript),
    compatibilityDate: '2026-04-01',
    durableObjects: unstable_getMiniflareWorkerOptions(floorConfig).workerOptions.durableObjects,
  });
  try {
    const [gatewayUrl, helloUrl, floorUrl] = await Promise.all([gateway.ready, hello.ready, floor.ready]);
    return await runTarget({ name: 'Miniflare (workerd, no wrangler dev proxy)', gateway: gatewayUrl.origin, hello: helloUrl.origin, floor: floorUrl.origin }, true);
  } finally {
    await Promise.all([gateway.dispose(), hello.dispose(), floor.dispose()]);
  }
}

async function underWranglerDev(dir: string): Promise<TargetResults> {
  const gateway = await startGateway({ port: await freePort(), persistTo: join(dir, 'state'), secrets: { adminSecret: ADMIN_SECRET, originSecret: ORIGIN_SECRET }, logLevel: 'warn' });
  const [hello, floor] = await Promise.all([startDevWorker('hello'), startDevWorker('floor')]);
  try {
    return await runTarget({ name: 'wrangler dev (wrangler 4.86 proxy in front of workerd)', gateway: gateway.url, hello: hello.url, floor: floor.url }, false);
  } finally {
    await Promise.all([gateway.process.stop(5_000), hello.process.stop(5_000), floor.process.stop(5_000)]);
  }
}

// --- Report

const ms = (value: number) => value.toFixed(2);

function report(results: TargetResults[], command: string): string {
  const lines = [
    `Command: \`${command}\` (per path row: the median of ${ROUNDS} interleaved rounds of ${REQUESTS} requests after ${WARMUP} warm-up, ${CONCURRENCY} keep-alive connections, loopback; then signups for ${SIGNUP_SECONDS} s on the same connections)`,
    `Machine: ${cpus().length} CPUs (\`nproc\` ${cpus().length}, ${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM (${(freemem() / 2 ** 30).toFixed(1)} GiB free), Node ${process.version}, ${new Date().toISOString()}`,
    '',
  ];
  for (const result of results) {
    lines.push(`### ${result.name}`, '', `| path | req/s | p50 ms | p99 ms | over ${STALL_MS} ms | statuses |`, '|---|---:|---:|---:|---:|---|');
    const row = (label: string, r: LoadResult) =>
      lines.push(`| ${label} | ${r.rps.toFixed(0)} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.stalled} of ${r.requests} | ${Object.entries(r.statuses).map(([s, n]) => `${n}× ${s}`).join(', ')} |`);
    const paths = result.paths;
    if (paths) {
      row('hello-world worker (ceiling)', paths.hello);
      row('floor worker: SHA-256 of the key, isolate map, in-memory bucket → 404 (bench/floor-worker/)', paths.floor);
      row('gateway `GET /healthz` (no auth)', paths.healthz);
      row(`gateway \`GET /v1/images/jobs/<unknown>\` (auth${paths.realPathRateLimited ? ' + read limit' : ' only'})`, paths.realPath);
      if (paths.wired) row('gateway `apiKeyAuth()` + `rateLimit()` → 404', paths.wired);
    }
    row(`\`POST /v1/signup\` for ${result.signups.seconds.toFixed(0)} s`, result.signups);
    row(`first request of ${result.signups.firstUse.requests} new keys (Tenant object created, signup adopted)`, result.signups.firstUse);
    lines.push('');
    const limited = paths && (paths.wired ?? (paths.realPathRateLimited ? paths.realPath : null));
    if (paths && limited) {
      const share = limited.rps / paths.hello.rps;
      const added = limited.p99 - paths.hello.p99;
      lines.push(
        `- auth + rate limit: ${(share * 100).toFixed(0)}% of the ceiling's requests/s (target ≥ 70%: ${share >= 0.7 ? 'met' : 'not met'}); ` +
          `p99 added over hello-world: ${ms(added)} ms (target ≤ 3 ms: ${added <= 3 ? 'met' : 'not met'}), over the gateway's own \`/healthz\`: ${ms(limited.p99 - paths.healthz.p99)} ms; p50 added over hello-world: ${ms(limited.p50 - paths.hello.p50)} ms.`,
        `- the floor of the same work: ${((100 * paths.floor.rps) / paths.hello.rps).toFixed(0)}% of the ceiling, p99 +${ms(paths.floor.p99 - paths.hello.p99)} ms; the gateway's path is ${((100 * limited.rps) / paths.floor.rps).toFixed(0)}% of the floor.`,
      );
    }
    const { signups } = result;
    lines.push(
      `- signups: ${signups.rps.toFixed(0)}/s sustained for ${signups.seconds.toFixed(0)} s (target ≥ 278/s: ${signups.rps >= 278 ? 'met' : 'not met'}); ` +
        `${signups.othersRefused} of ${signups.requests - signups.floodSent} first signups refused; the flood address (1 request in ${FLOOD_EVERY}) got ${signups.floodAccepted} of ${signups.floodSent} accepted against its limit of ${PER_IP_PER_HOUR} an hour.`,
    );
    lines.push('');
  }
  return lines.join('\n');
}

const dir = await mkdtemp(join(tmpdir(), 'lumen-bench-gateway-'));
try {
  console.error('building the gateway, the hello-world and the floor workers with wrangler…');
  const [gatewayScript, helloScript, floorScript] = await Promise.all([buildGateway(dir), buildBenchWorker(dir, 'hello'), buildBenchWorker(dir, 'floor')]);
  const results: TargetResults[] = [];
  if (args.target !== 'wrangler') results.push(await underMiniflare(gatewayScript, helloScript, floorScript, join(dir, 'floor.toml')));
  if (args.target !== 'miniflare') results.push(await underWranglerDev(dir));
  console.log(report(results, `node --import tsx bench/gateway.ts${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`));
} finally {
  closeConnections();
  await rm(dir, { recursive: true, force: true });
}
