// Queue benchmark: job submissions/s through the gateway next to a hello-world
// worker on the same runtime (the ceiling) and the floor of the submission's
// design (bench/floor-worker/), and lease -> upload -> complete round trips/s
// against one shard, in three shapes, each over a third of the
// queued jobs: one job per call (lease 1, upload, complete 1: 3 calls a job);
// batched with separate uploads (lease up to --batch jobs, one PUT per image,
// complete them in one JSON call); and batched as origin workers do it now
// (lease up to --batch, complete them in one multipart call carrying the images).
//   node --import tsx bench/queue.ts [--jobs 2000] [--concurrency 16] [--batch 8]
// Loopback only, bounded request counts.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { newSecret } from '../protocol/api-key.js';
import type { CompletionResult, LeaseResponse, LeasedJob } from '../protocol/jobs.js';
import { GatewayClient } from '../origin-gpu/gateway-client.js';
import { freePort, seedTenant, startGateway } from '../scripts/local-stack.js';
import { closeConnections, closedLoop, machine, round, send, startDevWorker, type LoadResult } from './harness.js';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '16' }, batch: { type: 'string', default: '8' } } });
const JOBS = Number(values.jobs);
const CONCURRENCY = Number(values.concurrency);
const BATCH = Number(values.batch);
/** Fake origin workers leasing from the one shard at once. */
const WORKERS = 8;
/** Interleaved rounds of hello-world, the floor and submissions. */
const ROUNDS = 3;

const dir = await mkdtemp(join(tmpdir(), 'lumen-queue-bench-'));
const secrets = { adminSecret: randomBytes(16).toString('hex'), originSecret: randomBytes(16).toString('hex') };
const gateway = await startGateway({
  port: await freePort(),
  persistTo: join(dir, 'state'),
  secrets,
  vars: { QUEUE_SHARDS: '1', LEASE_TTL_MS: '60000', QUEUE_LIMIT_PAID: '1000000' },
  logLevel: 'warn',
});
const [hello, floor] = await Promise.all([startDevWorker('hello'), startDevWorker('floor')]);
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
  // The floor of the design (bench/floor-worker/): auth from the isolate, the body, one tenant call, one queue call with one transaction.
  const floorSubmitOnce = () => send(`${floor.url}/submit`, { method: 'POST', headers, body });
  await closedLoop('warm-up', 500, CONCURRENCY, floorSubmitOnce);

  // Interleaved rounds, each path's median round kept, so a burst of noise on this small machine does not land on one path only.
  // The rounds add up to JOBS submissions, which the round trips below then lease.
  const rounds: Record<'hello' | 'floor' | 'submissions', LoadResult[]> = { hello: [], floor: [], submissions: [] };
  for (let index = 0; index < ROUNDS; index++) {
    rounds.hello.push(await closedLoop('hello', Math.floor(JOBS / ROUNDS), CONCURRENCY, () => send(hello.url)));
    rounds.floor.push(await closedLoop('floor submissions', Math.floor(JOBS / ROUNDS), CONCURRENCY, floorSubmitOnce));
    rounds.submissions.push(await closedLoop('submissions', Math.floor(JOBS / ROUNDS), CONCURRENCY, submitOnce));
  }
  const median = (results: LoadResult[]) => [...results].sort((a, b) => a.rps - b.rps)[Math.floor(results.length / 2)]!;
  const [ceiling, floorSubmissions, submissions] = [median(rounds.hello), median(rounds.floor), median(rounds.submissions)];
  console.error(`rounds (req/s): ${Object.entries(rounds).map(([label, results]) => `${label} ${results.map((r) => r.rps.toFixed(0)).join(', ')}`).join('; ')}`);

  // Lease -> upload -> complete, as origin workers do it, against the one shard: WORKERS workers with `slots` each.
  const client = new GatewayClient(gateway.url, secrets.originSecret);
  const png = new Uint8Array(randomBytes(2048));
  const usage = { inputTokens: 1, outputTokens: 1 };
  /** Finishes leased jobs: each image by its own PUT and then one JSON completion, or all in one multipart completion. */
  const finish = async (jobs: LeasedJob[], imagesInComplete: boolean): Promise<{ results: CompletionResult[]; calls: number }> => {
    if (imagesInComplete) {
      const results = await client.completeWithImages(jobs.map((job) => ({ jobId: job.id, leaseId: job.leaseId, images: [{ index: 0, format: 'png', bytes: png }], usage })));
      return { results, calls: 1 };
    }
    const stored = await Promise.all(jobs.map((job) => client.uploadImage(job.id, job.leaseId, 0, 'png', png)));
    const results = await client.completeMany(jobs.map((job, i) => ({ jobId: job.id, leaseId: job.leaseId, images: [stored[i]!], usage })));
    return { results, calls: 1 + jobs.length };
  };
  const roundTrips = async (total: number, slots: number, imagesInComplete: boolean) => {
    let claimed = 0;
    let done = 0;
    let calls = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: WORKERS }, async (_, worker) => {
        while (claimed < total) {
          const want = Math.min(slots, total - claimed);
          claimed += want;
          const { jobs }: LeaseResponse = await client.lease({ workerId: `bench-${worker}`, slots: want, waitMs: 0 });
          claimed -= want - jobs.length;
          if (jobs.length === 0) break;
          const finished = await finish(jobs, imagesInComplete);
          if (finished.results.some((result) => !result.ok)) throw new Error(`a completion was refused: ${JSON.stringify(finished.results)}`);
          calls += 1 + finished.calls;
          done += jobs.length;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return { roundTrips: done, perSecond: round(done / seconds), httpCallsPerSecond: round(calls / seconds), ofCeilingPercent: round((100 * calls) / seconds / ceiling.rps), workers: WORKERS, jobsPerCall: slots };
  };
  const third = Math.floor((JOBS + 100) / 3);
  const oneJobPerCall = await roundTrips(third, 1, false);
  const batchedSeparateUploads = await roundTrips(third, BATCH, false);
  const batchedImagesInComplete = await roundTrips(third, BATCH, true);

  console.log(`machine: ${machine()}`);
  console.log(`command: node --import tsx bench/queue.ts --jobs ${JOBS} --concurrency ${CONCURRENCY} --batch ${BATCH}`);
  console.log(
    JSON.stringify(
      {
        helloWorld: { rps: round(ceiling.rps), p50Ms: round(ceiling.p50, 2), p99Ms: round(ceiling.p99, 2) },
        floorSubmissions: {
          rps: round(floorSubmissions.rps),
          p50Ms: round(floorSubmissions.p50, 2),
          p99Ms: round(floorSubmissions.p99, 2),
          statuses: floorSubmissions.statuses,
          ofCeilingPercent: round((100 * floorSubmissions.rps) / ceiling.rps),
        },
        submissions: {
          rps: round(submissions.rps),
          p50Ms: round(submissions.p50, 2),
          p99Ms: round(submissions.p99, 2),
          statuses: submissions.statuses,
          ofCeilingPercent: round((100 * submissions.rps) / ceiling.rps),
          ofFloorPercent: round((100 * submissions.rps) / floorSubmissions.rps),
        },
        leaseUploadCompletePerShard: { oneJobPerCall, batchedSeparateUploads, batchedImagesInComplete },
      },
      null,
      2,
    ),
  );
} finally {
  closeConnections();
  await Promise.all([hello.process.stop(), floor.process.stop()]);
  await gateway.process.stop();
  await rm(dir, { recursive: true, force: true });
}
