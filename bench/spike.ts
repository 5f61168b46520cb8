// Spike benchmark: 10x origin capacity for 60 s, 30% paid / 70% free traffic,
// once with admission on and once with it off (everything synchronous).
//   node --import tsx bench/spike.ts [--seconds 60] [--factor 10] [--admission on|off|both]
// Loopback only; the number of requests is bounded by seconds x factor x capacity.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { newSecret } from '../protocol/api-key.js';
import { connectLibsql } from '../origin-gpu/db.js';
import { freePort, seedTenant, startGateway, startOrigin } from '../scripts/local-stack.js';
import { closeConnections, imagesClient, liftLimits, machine, percentile, round } from './harness.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    factor: { type: 'string', default: '10' },
    admission: { type: 'string', default: 'both' },
    slots: { type: 'string', default: '3' },
    size: { type: 'string', default: '1024x1024' },
    'paid-percent': { type: 'string', default: '30' },
  },
});
const SPIKE_SECONDS = Number(values.seconds);
const FACTOR = Number(values.factor);
const SLOTS = Number(values.slots);
const PAID_PERCENT = Number(values['paid-percent']);
const REQUEST = { prompt: 'a red circle and two yellow stars on a blue background', size: values.size };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Outcome {
  tier: 'pro' | 'free';
  status: number;
  latencyMs: number;
  jobId?: string;
}

async function scenario(admission: 'on' | 'off') {
  const dir = await mkdtemp(join(tmpdir(), 'lumen-spike-'));
  const secrets = { adminSecret: randomBytes(16).toString('hex'), originSecret: randomBytes(16).toString('hex') };
  const dbUrl = `file:${join(dir, 'origin.db')}`;
  const gateway = await startGateway({
    port: await freePort(),
    persistTo: join(dir, 'state'),
    secrets,
    vars: { ADMISSION: admission, SYNC_WAIT_MS: '300000', QUEUE_LIMIT_FREE: '100000', QUEUE_LIMIT_PAID: '100000' },
  });
  const origin = await startOrigin({
    gatewayUrl: gateway.url,
    originSecret: secrets.originSecret,
    dbUrl,
    workerId: 'spike-origin',
    slots: SLOTS,
    env: { LUMEN_PAID_RESERVED_SLOTS: '1' },
  });
  try {
    // Rate limits are not what this measures: lift them for the two bench tenants.
    const pro = (await seedTenant(gateway.url, secrets.adminSecret, 'spikepro', 'enterprise', newSecret())).key;
    const free = (await seedTenant(gateway.url, secrets.adminSecret, 'spikefree', 'free', newSecret())).key;
    await liftLimits(gateway.url, secrets.adminSecret, ['spikepro', 'spikefree']);
    const { submit, jobStatus, measureCapacity } = imagesClient(gateway.url, REQUEST);

    // Capacity: how many jobs/s this origin finishes when kept busy.
    for (let i = 0; i < 4; i++) await submit(pro); // warm up
    const capacity = await measureCapacity(pro, 40);

    // Unloaded paid latency.
    const unloaded: number[] = [];
    for (let i = 0; i < 40; i++) unloaded.push((await submit(pro)).latencyMs);
    unloaded.sort((a, b) => a - b);

    // The spike: open loop at FACTOR x capacity.
    const rate = capacity * FACTOR;
    const total = Math.round(rate * SPIKE_SECONDS);
    const outcomes: Promise<Outcome>[] = [];
    const spikeStart = performance.now();
    for (let i = 0; i < total; i++) {
      const due = spikeStart + (i / rate) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const tier = (i * PAID_PERCENT) % 100 < PAID_PERCENT ? 'pro' : 'free';
      outcomes.push(submit(tier === 'pro' ? pro : free).then((result) => ({ tier, ...result })));
    }
    const settled = await Promise.all(outcomes);
    const spikeSeconds = (performance.now() - spikeStart) / 1000;

    // Drain: every deferred job must finish.
    const deferred = settled.filter((outcome) => outcome.status === 202 && outcome.jobId);
    const drainStart = performance.now();
    const unfinished = new Set(deferred.map((outcome) => `${outcome.tier}:${outcome.jobId}`));
    const drainDeadline = Date.now() + 30 * 60_000;
    while (unfinished.size > 0 && Date.now() < drainDeadline) {
      for (const entry of [...unfinished].slice(0, 100)) {
        const [tier, id] = entry.split(':') as ['pro' | 'free', string];
        const status = await jobStatus(tier === 'pro' ? pro : free, id);
        if (status === 'succeeded' || status === 'failed') unfinished.delete(entry);
      }
      await sleep(1000);
    }
    const drainSeconds = (performance.now() - drainStart) / 1000;

    const db = connectLibsql(dbUrl);
    const twice = Number((await db.execute("select count(*) as n from (select job_id from runs where status = 'succeeded' group by job_id having count(*) > 1)")).rows[0]?.n ?? 0);
    db.close();

    const paid = settled.filter((o) => o.tier === 'pro');
    const freeOutcomes = settled.filter((o) => o.tier === 'free');
    const paidLatency = paid.filter((o) => o.status === 200).map((o) => o.latencyMs).sort((a, b) => a - b);
    const count = (list: Outcome[], status: number) => list.filter((o) => o.status === status).length;
    return {
      admission,
      capacityJobsPerSecond: round(capacity, 2),
      arrivalRatePerSecond: round(rate, 1),
      spikeSeconds: round(spikeSeconds),
      requests: total,
      unloadedPaidP50Ms: round(percentile(unloaded, 50)),
      unloadedPaidP99Ms: round(percentile(unloaded, 99)),
      spikePaidP50Ms: round(percentile(paidLatency, 50)),
      spikePaidP99Ms: round(percentile(paidLatency, 99)),
      paidP99Ratio: round(percentile(paidLatency, 99) / percentile(unloaded, 99), 2),
      paid: { total: paid.length, ok200: count(paid, 200), deferred202: count(paid, 202), other: paid.length - count(paid, 200) - count(paid, 202) },
      free: {
        total: freeOutcomes.length,
        sync200: count(freeOutcomes, 200),
        deferred202: count(freeOutcomes, 202),
        refused503: count(freeOutcomes, 503),
        other: freeOutcomes.length - count(freeOutcomes, 200) - count(freeOutcomes, 202) - count(freeOutcomes, 503),
        p50Ms: round(percentile(freeOutcomes.map((o) => o.latencyMs).sort((a, b) => a - b), 50)),
        p99Ms: round(percentile(freeOutcomes.map((o) => o.latencyMs).sort((a, b) => a - b), 99)),
      },
      acceptedFreePercent: round((100 * (count(freeOutcomes, 200) + count(freeOutcomes, 202))) / freeOutcomes.length, 2),
      drainSeconds: round(drainSeconds),
      lostJobs: unfinished.size,
      completedTwice: twice,
    };
  } finally {
    await origin.stop(10_000);
    await gateway.process.stop(10_000);
    await rm(dir, { recursive: true, force: true });
  }
}

const runs = values.admission === 'both' ? (['on', 'off'] as const) : ([values.admission as 'on' | 'off'] as const);
console.log(`machine: ${machine()}`);
console.log(`command: node --import tsx bench/spike.ts --seconds ${SPIKE_SECONDS} --factor ${FACTOR} --admission ${values.admission} --slots ${SLOTS} --size ${values.size} --paid-percent ${PAID_PERCENT}`);
for (const admission of runs) console.log(JSON.stringify(await scenario(admission), null, 2));
closeConnections();
