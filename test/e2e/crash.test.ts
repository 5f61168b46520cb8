import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { connectLibsql } from '../../origin-gpu/db.js';
import { loadPipeline } from '../../origin-gpu/pipeline/registry.js';
import { disposePipeline, runJob, setupPipeline } from '../../origin-gpu/pipeline/runner.js';
import { loadC2paCredentials } from '../../origin-gpu/provenance/c2pa-credentials.js';
import { payloadsForJob } from '../../origin-gpu/provenance/payload.js';
import { OnnxRuntime } from '../../origin-gpu/runtime/onnx-runtime.js';
import { readManifest } from '../../plugins/c2pa-manifest/index.js';
import { jobView, startTestStack, submitAsync, until, type TestStack } from './stack.js';

const SLOW_PIPELINE = fileURLToPath(new URL('./fixtures/slow-pipeline.json', import.meta.url));
const DEFAULT_PIPELINE = fileURLToPath(new URL('../../origin-gpu/pipeline.json', import.meta.url));
const silent = { debug() {}, info() {}, warn() {}, error() {} };

describe('crash and restart, against the real processes', () => {
  let stack: TestStack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  const submit = (key: string, body: Record<string, unknown>) => submitAsync(stack!.url, key, body);
  const job = (key: string, id: string) => jobView(stack!.url, key, id);

  it('should resume a SIGKILLed worker\'s job from its checkpoint, pixel-identical to an uninterrupted run and signed', { timeout: 120_000 }, async () => {
    stack = await startTestStack({ origins: 0, vars: { LEASE_TTL_MS: '1500' } });
    const key = await stack.key('crashpro', 'pro');
    const first = await stack.addOrigin('doomed', { LUMEN_PIPELINE: SLOW_PIPELINE });
    const request = { prompt: 'a red circle and a small yellow star on a blue background', size: '256x256', seed: 77 };
    const id = await submit(key, request);

    const before = await until('two passes', async () => {
      const current = await job(key, id);
      return current.passes_done >= 2 ? current : undefined;
    });
    await first.kill();
    expect(before.status).toBe('running');

    await stack.addOrigin('rescuer', { LUMEN_PIPELINE: SLOW_PIPELINE });
    const done = await until('completion', async () => {
      const current = await job(key, id);
      return current.status === 'succeeded' ? current : undefined;
    });
    expect(done.attempt).toBe(2);

    // The rescuer records its run as succeeded only after the gateway has the result, so the row can trail the job's status.
    const db = connectLibsql(stack.dbUrl);
    const runs = await until('the rescuer\'s run recorded', async () => {
      const rows = (await db.execute({ sql: 'select worker_id, resumed_from_pass, status from runs where job_id = ? order by attempt', args: [id] })).rows;
      return rows.length === 2 && rows[1]!.status !== 'running' ? rows : undefined;
    }).finally(() => db.close());
    expect(runs.map((run) => run.worker_id)).toEqual(['doomed', 'rescuer']);
    const resumedFrom = Number(runs[1]!.resumed_from_pass);
    expect(resumedFrom).toBeGreaterThanOrEqual(before.passes_done);
    expect(resumedFrom).toBeLessThan(4);
    expect(runs[1]!.status).toBe('succeeded');

    const image = await fetch(`${stack.url}/v1/images/jobs/${id}/images/0`, { headers: { authorization: `Bearer ${key}` } });
    const resumedBytes = Buffer.from(await image.arrayBuffer());

    // The served image carries a manifest signed under the stack's C2PA root (made by the first origin, next to its provenance key).
    const c2pa = await loadC2paCredentials({ certificatesPath: join(stack.dir, 'c2pa-cert.pem'), keyPath: join(stack.dir, 'c2pa-key.pem') });
    const manifest = await readManifest(resumedBytes, 'png', c2pa.trustAnchorPem);
    expect(manifest).toMatchObject({ state: 'Trusted', failures: [] });
    expect(manifest.manifest?.assertions?.find((assertion) => assertion.label === 'lumen.provenance')?.data).toMatchObject({ job_id: id, image_index: 0 });

    // The same job, uninterrupted, in this process with the default pipeline.
    const runtime = new OnnxRuntime();
    const pipeline = await loadPipeline(DEFAULT_PIPELINE, { 'lumen/c2pa-manifest': { credentials: c2pa } });
    try {
      await setupPipeline(pipeline, { logger: silent, runtime });
      const reference = await runJob(
        pipeline,
        { jobId: id, tenantId: 'crashpro', prompt: request.prompt, n: 1, width: 256, height: 256, quality: 'auto', outputFormat: 'png', outputCompression: 100, seed: 77 },
        { signal: new AbortController().signal, logger: silent, watermarkPayloads: payloadsForJob(id, 1, 'crashpro') },
      );
      // Same seed, same pixels; the bytes differ by the manifest's salts and signature.
      const pixels = (bytes: Uint8Array) => sharp(bytes).raw().toBuffer();
      expect((await pixels(reference.images[0]!.bytes)).equals(await pixels(resumedBytes))).toBe(true);
    } finally {
      await disposePipeline(pipeline, silent);
      await runtime.dispose();
    }
  });

  it('should lose no queued job when the gateway restarts', { timeout: 120_000 }, async () => {
    stack = await startTestStack({ origins: 0 });
    const key = await stack.key('restartfree', 'free', { concurrentJobs: 10, imagesPerMinute: 100 });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await submit(key, { prompt: `a green square number ${i}`, size: '256x256' }));
    await stack.restartGateway();
    for (const id of ids) expect((await job(key, id)).status).toBe('queued');
    await stack.addOrigin('after-restart');
    for (const id of ids) {
      await until(`job ${id}`, async () => ((await job(key, id)).status === 'succeeded' ? true : undefined));
    }
  });

  it('should reject a frozen worker\'s late work once its lease has passed to another', { timeout: 120_000 }, async () => {
    stack = await startTestStack({ origins: 0, vars: { LEASE_TTL_MS: '1500' } });
    const key = await stack.key('stalepro', 'pro');
    const frozen = await stack.addOrigin('frozen', { LUMEN_PIPELINE: SLOW_PIPELINE });
    const id = await submit(key, { prompt: 'a purple triangle', size: '256x256', seed: 5 });
    await until('first pass', async () => ((await job(key, id)).passes_done >= 1 ? true : undefined));
    process.kill(frozen.child.pid!, 'SIGSTOP');
    try {
      await stack.addOrigin('successor', { LUMEN_PIPELINE: SLOW_PIPELINE });
      await until('completion by the successor', async () => ((await job(key, id)).status === 'succeeded' ? true : undefined));
    } finally {
      process.kill(frozen.child.pid!, 'SIGCONT');
    }
    // The thawed worker learns at its next heartbeat or checkpoint that the lease is gone, and stops.
    await until('the stale worker to stand down', async () =>
      stack!.logs.some((line) => line.startsWith('[frozen]') && /lease lost|taken over/.test(line)) ? true : undefined,
    );
    const events = await (await fetch(`${stack.url}/v1/images/jobs/${id}/events`, { headers: { authorization: `Bearer ${key}` } })).text();
    expect(events.match(/event: completed/g)).toHaveLength(1);
    expect((await job(key, id)).attempt).toBe(2);
  });
});
