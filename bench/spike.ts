// Spike benchmark, restated (issue 16, item 5): open-loop arrivals at 10x origin capacity, paid
// (an enterprise tenant) and free mixed, every client sending `Prefer: wait=<budget>`.
//   (a) paid at 0.5x capacity, the rest free, 60 s, admission on and off: paid p99 against unloaded,
//       every free job accepted and completed after the drain.
//   (b) paid at 3x capacity, the rest free, 20 s: nobody held past its sync budget, paid requests
//       that would wait longer get 202 + position and never fail; p50/p99 to the answer and to completion.
//   node --import tsx bench/spike.ts --scenario a|b [--seconds 60|20] [--admission on|off|both] [--wait 30] [--factor 10] [--slots 3] [--size 1024x1024] [--surge off|auto]
// Every run counts jobs lost and completed twice (the origin's libSQL `runs`), and reads from the
// origin's /metrics how often, and how long, paid attempts ran beside a free pass on the worker.
// Loopback only; the requests are bounded by seconds x factor x capacity.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { newSecret } from '../protocol/api-key.js';
import { connectLibsql } from '../origin-gpu/db.js';
import { freePort, seedTenant, startGateway, startOrigin } from '../scripts/local-stack.js';
import { closeConnections, imagesClient, liftLimits, machine, percentile, round, send, type Submitted } from './harness.js';

const SCENARIOS = {
  a: { paidFactor: 0.5, seconds: 60, admission: 'both' },
  b: { paidFactor: 3, seconds: 20, admission: 'on' },
} as const;

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'a' },
    seconds: { type: 'string' },
    admission: { type: 'string' },
    wait: { type: 'string', default: '30' },
    factor: { type: 'string', default: '10' },
    slots: { type: 'string', default: '3' },
    size: { type: 'string', default: '1024x1024' },
    surge: { type: 'string', default: 'off' },
  },
});
if (values.scenario !== 'a' && values.scenario !== 'b') throw new Error(`--scenario must be a or b; got ${values.scenario}`);
if (values.surge !== 'off' && values.surge !== 'auto') throw new Error(`--surge must be off or auto; got ${values.surge}`);
const SCENARIO = SCENARIOS[values.scenario];
const SECONDS = Number(values.seconds ?? SCENARIO.seconds);
const ADMISSION = values.admission ?? SCENARIO.admission;
const WAIT_SECONDS = Number(values.wait);
const FACTOR = Number(values.factor);
const SLOTS = Number(values.slots);
const PAID_SHARE = SCENARIO.paidFactor / FACTOR;
/** The gateway's defaults: what the budgets below are capped by. */
const SYNC_WAIT_MS = 120_000;
const FREE_SYNC_MAX_WAIT_MS = 10_000;
const REQUEST = { prompt: 'a red circle and two yellow stars on a blue background', size: values.size };
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Tier = 'paid' | 'free';
interface Outcome extends Submitted {
  tier: Tier;
  budgetMs: number;
  /** The job's final status and when it ended (the gateway's clock), once drained. */
  finalStatus?: string;
  endedAt?: number;
}

/** Sums the samples of one metric, optionally only those whose labels include `match` (Prometheus text). */
function sampleSum(text: string, name: string, match = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (match && !line.includes(match)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Paid attempts beside free work, from the origin's counters between two scrapes. */
function passOverlap(before: string, after: string) {
  const delta = (name: string, match = '') => sampleSum(after, name, match) - sampleSum(before, name, match);
  const name = 'lumen_origin_paid_alongside_free_seconds';
  const attempts = delta(`${name}_count`);
  const alone = delta(`${name}_bucket`, 'le="0"');
  const beside = attempts - alone;
  const seconds = delta(`${name}_sum`);
  // The smallest bucket holding 99% of the paid attempts: an upper bound on their p99 overlap.
  const bounds = [...after.matchAll(new RegExp(`^${name}_bucket\\{[^}]*le="([^"]+)"`, 'gm'))].map((found) => found[1]!).filter((le, i, all) => all.indexOf(le) === i);
  const p99Bound = bounds.find((le) => delta(`${name}_bucket`, `le="${le}"`) >= 0.99 * attempts) ?? '+Inf';
  return {
    paidAttempts: attempts,
    besideFreeWork: beside,
    besideFreePercent: attempts > 0 ? round((100 * beside) / attempts, 1) : 0,
    meanOverlapMsWhenBeside: beside > 0 ? round((1000 * seconds) / beside) : 0,
    p99OverlapAtMostSeconds: p99Bound,
    freeYields: { paidIdle: delta('lumen_origin_free_yields_total', 'end="paid_idle"'), timeout: delta('lumen_origin_free_yields_total', 'end="timeout"') },
  };
}

/** p50/p99 to the answer and to completion, and how each request was answered. */
function summary(list: Outcome[]) {
  const sorted = (values: number[]) => values.sort((a, b) => a - b);
  const toAnswer = sorted(list.map((o) => o.latencyMs));
  const toCompletion = sorted(list.filter((o) => o.finalStatus === 'succeeded' && o.endedAt !== undefined).map((o) => o.endedAt! - o.sentAt));
  const over = list.map((o) => o.latencyMs - o.budgetMs);
  return {
    requests: list.length,
    image200: list.filter((o) => o.status === 200).length,
    deferredAtOnce202: list.filter((o) => o.status === 202 && o.admission === 'deferred').length,
    afterBudget202: list.filter((o) => o.status === 202 && o.admission !== 'deferred').length,
    errors: list.filter((o) => o.status !== 200 && o.status !== 202).length,
    errorsByStatus: Object.fromEntries([...new Set(list.filter((o) => o.status !== 200 && o.status !== 202).map((o) => `${o.status} ${o.errorCode ?? ''}`.trim()))].map((key) => [key, list.filter((o) => `${o.status} ${o.errorCode ?? ''}`.trim() === key).length])),
    succeeded: list.filter((o) => o.finalStatus === 'succeeded').length,
    failed: list.filter((o) => o.finalStatus === 'failed').length,
    answerP50Ms: round(percentile(toAnswer, 50)),
    answerP99Ms: round(percentile(toAnswer, 99)),
    completionP50Ms: round(percentile(toCompletion, 50)),
    completionP99Ms: round(percentile(toCompletion, 99)),
    // Answer time as the client saw it, against its budget: the gateway counts from when it got the request.
    answeredPastBudget: over.filter((ms) => ms > 0).length,
    mostPastBudgetMs: round(Math.max(0, ...over)),
  };
}

async function scenario(admission: 'on' | 'off') {
  const dir = await mkdtemp(join(tmpdir(), 'lumen-spike-'));
  const secrets = { adminSecret: randomBytes(16).toString('hex'), originSecret: randomBytes(16).toString('hex') };
  const dbUrl = `file:${join(dir, 'origin.db')}`;
  const gateway = await startGateway({
    port: await freePort(),
    persistTo: join(dir, 'state'),
    secrets,
    vars: { ADMISSION: admission, SYNC_WAIT_MS: String(SYNC_WAIT_MS), FREE_SYNC_MAX_WAIT_MS: String(FREE_SYNC_MAX_WAIT_MS), QUEUE_LIMIT_FREE: '100000', QUEUE_LIMIT_PAID: '100000' },
  });
  const metricsPort = await freePort();
  const origin = await startOrigin({
    gatewayUrl: gateway.url,
    originSecret: secrets.originSecret,
    dbUrl,
    workerId: 'spike-origin',
    slots: SLOTS,
    env: { LUMEN_PAID_RESERVED_SLOTS: '1', LUMEN_METRICS_PORT: String(metricsPort) },
  });
  const originMetrics = async () => (await send(`http://127.0.0.1:${metricsPort}/metrics`)).body;
  try {
    // Rate limits are not what this measures: lift them for the two bench tenants.
    const paid = (await seedTenant(gateway.url, secrets.adminSecret, 'spikepaid', 'enterprise', newSecret())).key;
    const free = (await seedTenant(gateway.url, secrets.adminSecret, 'spikefree', 'free', newSecret())).key;
    await liftLimits(gateway.url, secrets.adminSecret, ['spikepaid', 'spikefree']);
    // Surge would clamp the free tenant (its profile overrides the lifted limits) once paid work waits 30 s, as the capacity
    // measure alone can make it on a loaded machine: this measures admission, so surge is pinned off unless asked for.
    if (values.surge === 'off') {
      const pinned = await send(`${gateway.url}/v1/admin/surge`, { method: 'POST', headers: { authorization: `Bearer ${secrets.adminSecret}`, 'content-type': 'application/json' }, body: '{"mode":"off"}' });
      if (pinned.status !== 200) throw new Error(`could not pin surge off: ${pinned.status} ${pinned.body}`);
    }
    const { submit, measureCapacity } = imagesClient(gateway.url, REQUEST);
    const prefer = { prefer: `wait=${WAIT_SECONDS}` };
    const budgetMs = (tier: Tier) => Math.min(WAIT_SECONDS * 1000, SYNC_WAIT_MS, tier === 'free' && admission === 'on' ? FREE_SYNC_MAX_WAIT_MS : Infinity);

    // Capacity: how many jobs/s this origin finishes when kept busy.
    for (let i = 0; i < 4; i++) await submit(paid, prefer);
    const capacity = await measureCapacity(paid, 40);

    // Unloaded paid latency, the same requests one at a time.
    const unloaded: number[] = [];
    for (let i = 0; i < 40; i++) unloaded.push((await submit(paid, prefer)).latencyMs);
    unloaded.sort((a, b) => a - b);

    // The spike: open loop at FACTOR x capacity, PAID_SHARE of it paid, spread evenly.
    const metricsBefore = await originMetrics();
    const rate = capacity * FACTOR;
    const total = Math.round(rate * SECONDS);
    const pending: Promise<Outcome>[] = [];
    const spikeStart = performance.now();
    for (let i = 0; i < total; i++) {
      const wait = spikeStart + (i / rate) * 1000 - performance.now();
      if (wait > 0) await sleep(wait);
      const tier: Tier = Math.floor((i + 1) * PAID_SHARE) > Math.floor(i * PAID_SHARE) ? 'paid' : 'free';
      pending.push(submit(tier === 'paid' ? paid : free, prefer).then((result) => ({ ...result, tier, budgetMs: budgetMs(tier) })));
    }
    const outcomes = await Promise.all(pending);
    const lastAnswerSeconds = (performance.now() - spikeStart) / 1000;

    // Drain: poll every job to its end, then read when each ended from the admin job view.
    const drainStart = performance.now();
    const admin = { authorization: `Bearer ${secrets.adminSecret}` };
    const adminView = async (id: string) => JSON.parse((await send(`${gateway.url}/v1/admin/jobs?id=${id}&limit=1`, { headers: admin })).body) as { data: { status: string; updatedAt: number }[] };
    let unfinished = outcomes.filter((o) => o.jobId !== undefined);
    const drainDeadline = Date.now() + 60 * 60_000;
    while (unfinished.length > 0 && Date.now() < drainDeadline) {
      const still: Outcome[] = [];
      for (let i = 0; i < unfinished.length; i += 50) {
        await Promise.all(
          unfinished.slice(i, i + 50).map(async (outcome) => {
            const [job] = (await adminView(outcome.jobId!)).data;
            if (job && TERMINAL.has(job.status)) Object.assign(outcome, { finalStatus: job.status, endedAt: job.updatedAt });
            else still.push(outcome);
          }),
        );
      }
      unfinished = still;
      if (unfinished.length > 0) await sleep(2_000);
    }
    const drainSeconds = (performance.now() - drainStart) / 1000;
    const overlap = passOverlap(metricsBefore, await originMetrics());

    const db = connectLibsql(dbUrl);
    const twice = Number((await db.execute("select count(*) as n from (select job_id from runs where status = 'succeeded' group by job_id having count(*) > 1)")).rows[0]?.n ?? 0);
    db.close();

    const paidOutcomes = summary(outcomes.filter((o) => o.tier === 'paid'));
    const freeOutcomes = summary(outcomes.filter((o) => o.tier === 'free'));
    const freeTotal = freeOutcomes.requests;
    return {
      scenario: values.scenario,
      admission,
      surge: values.surge,
      capacityJobsPerSecond: round(capacity, 2),
      arrivalRatePerSecond: round(rate, 1),
      paidRatePerSecond: round(rate * PAID_SHARE, 2),
      spikeSeconds: SECONDS,
      clientWaitSeconds: WAIT_SECONDS,
      budgetsMs: { paid: budgetMs('paid'), free: budgetMs('free') },
      requests: total,
      unloadedPaidP50Ms: round(percentile(unloaded, 50)),
      unloadedPaidP99Ms: round(percentile(unloaded, 99)),
      paidCompletionP99Ratio: round(paidOutcomes.completionP99Ms / percentile(unloaded, 99), 2),
      paid: paidOutcomes,
      free: freeOutcomes,
      freeAcceptedPercent: freeTotal > 0 ? round((100 * (freeOutcomes.image200 + freeOutcomes.deferredAtOnce202 + freeOutcomes.afterBudget202)) / freeTotal, 2) : 0,
      freeCompletedPercent: freeTotal > 0 ? round((100 * freeOutcomes.succeeded) / freeTotal, 2) : 0,
      lastAnswerSeconds: round(lastAnswerSeconds),
      drainSeconds: round(drainSeconds),
      lostJobs: unfinished.length,
      completedTwice: twice,
      paidBesideFreePasses: overlap,
    };
  } finally {
    await origin.stop(10_000);
    await gateway.process.stop(10_000);
    await rm(dir, { recursive: true, force: true });
  }
}

const runs = ADMISSION === 'both' ? (['on', 'off'] as const) : ([ADMISSION as 'on' | 'off'] as const);
console.log(`machine: ${machine()}`);
console.log(`command: node --import tsx bench/spike.ts --scenario ${values.scenario} --seconds ${SECONDS} --admission ${ADMISSION} --wait ${WAIT_SECONDS} --factor ${FACTOR} --slots ${SLOTS} --size ${values.size} --surge ${values.surge}`);
for (const admission of runs) console.log(JSON.stringify(await scenario(admission), null, 2));
closeConnections();
