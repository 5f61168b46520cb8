// Queue benchmark: job submissions/s through the gateway next to a hello-world
// worker on the same runtime (the ceiling), and lease -> upload -> complete
// round trips/s against one shard.
//   node --import tsx bench/queue.ts [--jobs 2000] [--concurrency 16]
// Loopback only, bounded request counts.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { newSecret } from '../protocol/api-key.js';
import type { LeaseResponse } from '../protocol/jobs.js';
import { GatewayClient } from '../origin-gpu/gateway-client.js';
import { freePort, seedTenant, startGateway } from '../scripts/local-stack.js';
import { closeConnections, closedLoop, machine, round, send, startHelloWorker } from './harness.js';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '16' } } });
const JOBS = Number(values.jobs);
const CONCURRENCY = Number(values.concurrency);

const dir = await mkdtemp(join(tmpdir(), 'lumen-queue-bench-'));
const secrets = { adminSecret: randomBytes(16).toString('hex'), originSecret: randomBytes(16).toString('hex') };
const gateway = await startGateway({
  port: await freePort(),
  persistTo: join(dir, 'state'),
  secrets,
  vars: { QUEUE_SHARDS: '1', LEASE_TTL_MS: '60000', QUEUE_LIMIT_PAID: '1000000' },
});
const hello = await startHelloWorker();
try {
  const key = (await seedTenant(gateway.url, secrets.adminSecret, 'queuebench', 'enterprise', newSecret())).key;
  const admin = { authorization: `Bearer ${secrets.adminSecret}`, 'content-type': 'application/json' };
  const lifted = await fetch(`${gateway.url}/v1/admin/tenants/queuebench/limits`, {
    method: 'PUT',
    headers: admin,
    body: JSON.stringify({ requestsPerMinute: 10_000_000, imagesPerMinute: 10_000_000, concurrentJobs: 10_000_000 }),
  });
  if (!lifted.ok) throw new Error(`could not lift limits: ${lifted.status} ${await lifted.text()}`);

  const body = JSON.stringify({ prompt: 'a red circle', size: '256x256' });
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json', prefer: 'respond-async' };
  const submitOnce = () => send(`${gateway.url}/v1/images/generations`, { method: 'POST', headers, body });
  await closedLoop('warm-up', 100, CONCURRENCY, submitOnce);
  await closedLoop('warm-up', 500, CONCURRENCY, () => send(hello.url));

  const ceiling = await closedLoop('hello', JOBS, CONCURRENCY, () => send(hello.url));
  const submissions = await closedLoop('submissions', JOBS, CONCURRENCY, submitOnce);

  // Lease -> upload -> complete, as origin workers do it, against the one shard.
  const client = new GatewayClient(gateway.url, secrets.originSecret);
  const png = new Uint8Array(randomBytes(2048));
  const roundTrips = JOBS;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async (_, worker) => {
      while (done < roundTrips) {
        const { jobs }: LeaseResponse = await client.lease({ workerId: `bench-${worker}`, slots: 1, waitMs: 0 });
        const job = jobs[0];
        if (!job) break;
        const stored = await client.uploadImage(job.id, job.leaseId, 0, 'png', png);
        await client.complete(job.id, { leaseId: job.leaseId, images: [stored], usage: { inputTokens: 1, outputTokens: 1 } });
        done++;
      }
    }),
  );
  const roundTripSeconds = (performance.now() - started) / 1000;

  console.log(`machine: ${machine()}`);
  console.log(`command: node --import tsx bench/queue.ts --jobs ${JOBS} --concurrency ${CONCURRENCY}`);
  console.log(
    JSON.stringify(
      {
        helloWorld: { rps: round(ceiling.rps), p50Ms: round(ceiling.p50, 2), p99Ms: round(ceiling.p99, 2) },
        submissions: {
          rps: round(submissions.rps),
          p50Ms: round(submissions.p50, 2),
          p99Ms: round(submissions.p99, 2),
          statuses: submissions.statuses,
          ofCeilingPercent: round((100 * submissions.rps) / ceiling.rps),
        },
        leaseUploadCompletePerShard: { roundTrips: done, perSecond: round(done / roundTripSeconds), workers: 8 },
      },
      null,
      2,
    ),
  );
} finally {
  closeConnections();
  await hello.process.stop();
  await gateway.process.stop();
  await rm(dir, { recursive: true, force: true });
}
