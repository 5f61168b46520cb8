// Fair share between tenants of one tier (issue 16, scenario c): two pro
// tenants, one flooding at 5x origin capacity, one sending 0.2x capacity as
// synchronous requests. The small tenant's p99 against its unloaded p99, with
// the shards' tenant fairness on and off.
//   node --import tsx bench/fairness.ts [--seconds 20] [--fairness on|off|both] [--slots 3] [--size 256x256]
// Loopback only; the requests are bounded by seconds x 5.2 x capacity. After
// the window the flood's jobs still queued are cancelled (not lost: every job
// must end succeeded or cancelled, and none may complete twice).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { newSecret } from '../protocol/api-key.js';
import { connectLibsql } from '../origin-gpu/db.js';
import { freePort, seedTenant, startGateway, startOrigin } from '../scripts/local-stack.js';
import { closeConnections, imagesClient, liftLimits, machine, percentile, round, send } from './harness.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    fairness: { type: 'string', default: 'both' },
    slots: { type: 'string', default: '3' },
    size: { type: 'string', default: '256x256' },
  },
});
const SECONDS = Math.min(120, Number(values.seconds));
const SLOTS = Number(values.slots);
const FLOOD_FACTOR = 5;
const SMALL_FACTOR = 0.2;
const REQUEST = { prompt: 'a red circle and two yellow stars on a blue background', size: values.size };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function scenario(fairness: 'on' | 'off') {
  const dir = await mkdtemp(join(tmpdir(), 'lumen-fairness-'));
  const secrets = { adminSecret: randomBytes(16).toString('hex'), originSecret: randomBytes(16).toString('hex') };
  const dbUrl = `file:${join(dir, 'origin.db')}`;
  const gateway = await startGateway({
    port: await freePort(),
    persistTo: join(dir, 'state'),
    secrets,
    vars: { TENANT_FAIRNESS: fairness, SYNC_WAIT_MS: '300000', QUEUE_LIMIT_PAID: '100000', HOLD_MAX_MS: '600000' },
  });
  const origin = await startOrigin({ gatewayUrl: gateway.url, originSecret: secrets.originSecret, dbUrl, workerId: 'fair-origin', slots: SLOTS, env: { LUMEN_TENANT_FAIRNESS: fairness } });
  try {
    const flood = (await seedTenant(gateway.url, secrets.adminSecret, 'flood', 'pro', newSecret())).key;
    const small = (await seedTenant(gateway.url, secrets.adminSecret, 'small', 'pro', newSecret())).key;
    await liftLimits(gateway.url, secrets.adminSecret, ['flood', 'small']);
    const { submit, jobStatus, measureCapacity } = imagesClient(gateway.url, REQUEST);

    // Capacity: jobs/s this origin finishes when kept busy.
    for (let i = 0; i < 4; i++) await submit(small);
    const capacity = await measureCapacity(flood, 30);

    // The small tenant alone, one request at a time.
    const unloaded: number[] = [];
    for (let i = 0; i < 30; i++) unloaded.push((await submit(small)).latencyMs);
    unloaded.sort((a, b) => a - b);

    // Open loops: the flood queues (async), the small tenant waits for its answers (sync).
    const floodJobs: Promise<{ status: number; jobId?: string }>[] = [];
    const smallAnswers: Promise<{ status: number; latencyMs: number }>[] = [];
    const start = performance.now();
    const openLoop = async (rate: number, fire: () => void) => {
      const total = Math.round(rate * SECONDS);
      for (let i = 0; i < total; i++) {
        const wait = start + (i / rate) * 1000 - performance.now();
        if (wait > 0) await sleep(wait);
        fire();
      }
    };
    await Promise.all([
      openLoop(capacity * FLOOD_FACTOR, () => floodJobs.push(submit(flood, { prefer: 'respond-async' }))),
      openLoop(capacity * SMALL_FACTOR, () => smallAnswers.push(submit(small))),
    ]);
    const smallSettled = await Promise.all(smallAnswers);
    const floodSettled = await Promise.all(floodJobs);
    const windowSeconds = (performance.now() - start) / 1000;

    // The flood's backlog: cancel what is still queued, wait for what runs.
    let cancelled = 0;
    for (const job of floodSettled) {
      if (!job.jobId) continue;
      const reply = await send(`${gateway.url}/v1/images/jobs/${job.jobId}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${flood}` } });
      if (reply.status === 200) cancelled++;
    }
    let unfinished = floodSettled.filter((job) => job.jobId).map((job) => job.jobId!);
    const deadline = Date.now() + 10 * 60_000;
    while (unfinished.length > 0 && Date.now() < deadline) {
      const statuses = await Promise.all(unfinished.map((id) => jobStatus(flood, id)));
      unfinished = unfinished.filter((_, i) => !['succeeded', 'failed', 'cancelled'].includes(statuses[i]!));
      if (unfinished.length > 0) await sleep(500);
    }

    const db = connectLibsql(dbUrl);
    const twice = Number((await db.execute("select count(*) as n from (select job_id from runs where status = 'succeeded' group by job_id having count(*) > 1)")).rows[0]?.n ?? 0);
    db.close();
    const smallLatency = smallSettled.filter((answer) => answer.status === 200).map((answer) => answer.latencyMs).sort((a, b) => a - b);
    return {
      fairness,
      capacityJobsPerSecond: round(capacity, 2),
      floodRatePerSecond: round(capacity * FLOOD_FACTOR, 2),
      smallRatePerSecond: round(capacity * SMALL_FACTOR, 2),
      windowSeconds: round(windowSeconds),
      unloadedSmallP50Ms: round(percentile(unloaded, 50)),
      unloadedSmallP99Ms: round(percentile(unloaded, 99)),
      smallRequests: smallSettled.length,
      smallOk: smallLatency.length,
      smallP50Ms: round(percentile(smallLatency, 50)),
      smallP99Ms: round(percentile(smallLatency, 99)),
      smallP99Ratio: round(percentile(smallLatency, 99) / percentile(unloaded, 99), 2),
      floodRequests: floodSettled.length,
      floodAccepted202: floodSettled.filter((job) => job.status === 202).length,
      floodCancelledAfterWindow: cancelled,
      lostJobs: unfinished.length,
      completedTwice: twice,
    };
  } finally {
    await origin.stop(10_000);
    await gateway.process.stop(10_000);
    await rm(dir, { recursive: true, force: true });
  }
}

const runs = values.fairness === 'both' ? (['on', 'off'] as const) : ([values.fairness as 'on' | 'off'] as const);
console.log(`machine: ${machine()}`);
console.log(`command: node --import tsx bench/fairness.ts --seconds ${SECONDS} --fairness ${values.fairness} --slots ${SLOTS} --size ${values.size}`);
for (const fairness of runs) console.log(JSON.stringify(await scenario(fairness), null, 2));
closeConnections();
