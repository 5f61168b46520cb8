// CPU profile of the gateway's one isolate (the Worker and every Durable Object
// run there) while it answers a closed loop of one kind of request, to see
// where a request's time goes. Prints the functions with the most self time.
//   node --import tsx bench/profile.ts [--path submissions|auth|signups|first-use] [--requests 2000] [--concurrency 16]
// Loopback only, bounded request count.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { Miniflare } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import WebSocket from 'ws';
import { newSecret } from '../protocol/api-key.js';
import { freePort, ROOT } from '../scripts/local-stack.js';
import { closeConnections, closedLoop, send } from './harness.js';

const { values: args } = parseArgs({
  options: {
    path: { type: 'string', default: 'submissions' },
    requests: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '16' },
  },
});
const REQUESTS = Math.min(20_000, Number(args.requests));
const CONCURRENCY = Math.min(64, Number(args.concurrency));
const ADMIN_SECRET = `profile-${crypto.randomUUID()}`;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}

async function bundle(dir: string): Promise<string> {
  const out = join(dir, 'out');
  await new Promise<void>((done, fail) => {
    const child = spawn(process.execPath, [resolve(ROOT, 'node_modules/wrangler/bin/wrangler.js'), 'deploy', '--dry-run', '--outdir', out], {
      cwd: ROOT,
      stdio: 'ignore',
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    });
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`wrangler build failed (${code})`))));
  });
  return join(out, (await readdir(out)).find((file) => file.endsWith('.js'))!);
}

/** One CDP session on the isolate's inspector: send a method, await its result. */
async function inspector(port: number) {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { webSocketDebuggerUrl: string; title: string }[];
  const socket = new WebSocket(targets[0]!.webSocketDebuggerUrl);
  await new Promise((ready) => socket.once('open', ready));
  let nextId = 1;
  const pending = new Map<number, (result: unknown) => void>();
  socket.on('message', (raw) => {
    const message = JSON.parse(String(raw)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  return {
    call: <T>(method: string, params: object = {}) =>
      new Promise<T>((done) => {
        const id = nextId++;
        pending.set(id, done as (result: unknown) => void);
        socket.send(JSON.stringify({ id, method, params }));
      }),
    close: () => socket.close(),
  };
}

/** The bundle's `// node_modules/...` and `// gateway/...` markers: which source each line of it came from. */
async function sourceRanges(bundlePath: string): Promise<{ line: number; source: string }[]> {
  const { readFile } = await import('node:fs/promises');
  const ranges: { line: number; source: string }[] = [];
  (await readFile(bundlePath, 'utf8')).split('\n').forEach((text, index) => {
    const marker = /^\/\/ (node_modules\/(?:@[^/]+\/)?[^/]+|[a-z-]+\/\S+\.[cm]?[jt]s)/.exec(text);
    if (marker) ranges.push({ line: index + 1, source: marker[1]! });
  });
  return ranges;
}

const NATIVE: Record<string, string> = {
  exec: 'SQLite (statements)',
  transactionSync: 'SQLite (statements)',
  '(garbage collector)': 'garbage collection',
  '(program)': 'runtime (RPC, I/O, JS engine)',
  '(idle)': 'idle',
};

function kindOf(frame: ProfileNode['callFrame'], sources: { line: number; source: string }[]): string {
  if (!frame.url) return NATIVE[frame.functionName] ?? `runtime built-ins (${frame.functionName || 'anonymous'})`.replace(/\(.*\)/, '(Response, headers, crypto, streams)');
  let source = 'bundle glue';
  for (const range of sources) {
    if (range.line > frame.lineNumber + 1) break;
    source = range.source;
  }
  if (source.startsWith('node_modules/')) return source.replace('node_modules/', 'library ');
  if (source.startsWith('plugins/safety-policy')) return 'input moderation (plugins/safety-policy)';
  return source.split('/').slice(0, source.startsWith('gateway/') ? 2 : 1).join('/');
}

const dir = await mkdtemp(join(tmpdir(), 'lumen-profile-'));
const inspectorPort = await freePort();
const script = await bundle(dir);
const mf = new Miniflare({
  host: '127.0.0.1',
  port: 0,
  inspectorPort,
  modules: true,
  scriptPath: script,
  modulesRoot: join(dir, 'out'),
  modulesRules: [{ type: 'Text', include: ['**/*.sql'], fallthrough: true }],
  compatibilityDate: '2026-04-01',
  compatibilityFlags: ['nodejs_compat'],
  durableObjects: unstable_getMiniflareWorkerOptions(resolve(ROOT, 'wrangler.toml')).workerOptions.durableObjects,
  r2Buckets: ['IMAGES'],
  bindings: { ADMIN_SECRET, ORIGIN_SECRET: `origin-${crypto.randomUUID()}`, QUEUE_SHARDS: '1', QUEUE_LIMIT_PAID: '1000000' },
});
try {
  const base = (await mf.ready).origin;
  const admin = { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' };
  await send(`${base}/v1/admin/tenants/profiler`, { method: 'PUT', headers: admin, body: JSON.stringify({ tier: 'enterprise' }) });
  const lifted = { requestsPerMinute: 1e9, imagesPerMinute: 1e9, readsPerMinute: 1e9, concurrentJobs: 1e9 };
  await send(`${base}/v1/admin/tenants/profiler/limits`, { method: 'PUT', headers: admin, body: JSON.stringify(lifted) });
  const { key } = JSON.parse((await send(`${base}/v1/admin/tenants/profiler/keys`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'profile', secret: newSecret() }) })).body) as { key: string };
  const auth = { authorization: `Bearer ${key}` };
  await send(`${base}/v1/admin/signup`, { method: 'PUT', headers: admin, body: JSON.stringify({ perIpPerHour: 1e9, globalPerMinute: 1e9 }) });
  const signUp = (i: number) =>
    send(`${base}/v1/signup`, { method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }, body: '{}' });
  // First use: keys signed up before the profile starts, each used once while it runs (its Tenant object is created then).
  const newKeys: string[] = [];
  if (args.path === 'first-use') {
    for (let i = 0; i < REQUESTS + 200; i++) newKeys.push((JSON.parse((await signUp(1_000_000 + i)).body) as { key: string }).key);
  }
  const one =
    args.path === 'auth'
      ? () => send(`${base}/v1/images/jobs/job_0_${'0'.repeat(32)}`, { headers: auth })
      : args.path === 'signups'
        ? signUp
        : args.path === 'first-use'
          ? () => send(`${base}/v1/images/jobs/job_0_${'0'.repeat(32)}`, { headers: { authorization: `Bearer ${newKeys.pop()}` } })
          : () =>
          send(`${base}/v1/images/generations`, {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json', prefer: 'respond-async' },
            body: JSON.stringify({ prompt: 'a red circle and two yellow stars on a blue background', size: '256x256' }),
          });
  await closedLoop('warm-up', 200, CONCURRENCY, one);
  const session = await inspector(inspectorPort);
  await session.call('Profiler.enable');
  await session.call('Profiler.setSamplingInterval', { interval: 200 });
  await session.call('Profiler.start');
  const load = await closedLoop(String(args.path), REQUESTS, CONCURRENCY, one);
  const { profile } = await session.call<{ profile: { nodes: ProfileNode[]; startTime: number; endTime: number } }>('Profiler.stop');
  session.close();
  const totalHits = profile.nodes.reduce((sum, node) => sum + node.hitCount, 0);
  const bySelf = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const name = `${functionName || '(anonymous)'} ${url.split('/').slice(-1)[0] ?? ''}:${lineNumber + 1}`;
    bySelf.set(name, (bySelf.get(name) ?? 0) + node.hitCount);
  }
  const idle = [...bySelf].filter(([name]) => name.startsWith('(idle)')).reduce((sum, [, hits]) => sum + hits, 0);
  console.log(`${args.path}: ${load.rps.toFixed(0)} req/s, p50 ${load.p50.toFixed(2)} ms, statuses ${JSON.stringify(load.statuses)}`);
  console.log(`isolate busy ${(100 * (1 - idle / totalHits)).toFixed(0)}% of the run; CPU per request ≈ ${(((profile.endTime - profile.startTime) / 1000) * (1 - idle / totalHits) / REQUESTS).toFixed(2)} ms`);
  // Where the busy time goes, by kind of work: the bundle's functions are grouped by the source they came from.
  const sources = await sourceRanges(script);
  const byKind = new Map<string, number>();
  for (const node of profile.nodes) {
    const kind = kindOf(node.callFrame, sources);
    byKind.set(kind, (byKind.get(kind) ?? 0) + node.hitCount);
  }
  const busy = totalHits - idle;
  console.log('\nby kind of work (share of busy time):');
  for (const [kind, hits] of [...byKind].filter(([kind]) => kind !== 'idle').sort((a, b) => b[1] - a[1])) {
    console.log(`${((100 * hits) / busy).toFixed(1).padStart(5)}%  ${kind}`);
  }
  console.log('\ntop functions by self time (share of the whole run):');
  for (const [name, hits] of [...bySelf].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${((100 * hits) / totalHits).toFixed(1).padStart(5)}%  ${name}`);
} finally {
  closeConnections();
  await mf.dispose();
  await rm(dir, { recursive: true, force: true });
}
