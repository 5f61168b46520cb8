// Entry point of one origin-gpu worker process:
//   node --import tsx origin-gpu/server.ts
// Configuration comes from the environment (see docs/CONFIGURATION.md).
import { once } from 'node:events';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PolicyCache } from '../plugins/safety-policy/cache.js';
import { createOriginApi } from './api.js';
import { openOriginDatabase } from './db.js';
import { GatewayClient } from './gateway-client.js';
import { createLogger } from './logger.js';
import { OriginMetrics, serveMetrics } from './metrics.js';
import { loadPipeline } from './pipeline/registry.js';
import { disposePipeline, setupPipeline } from './pipeline/runner.js';
import { loadC2paCredentials } from './provenance/c2pa-credentials.js';
import { ProvenanceRegistry } from './provenance/registry.js';
import { loadSigningKey } from './provenance/signer.js';
import { OnnxRuntime } from './runtime/onnx-runtime.js';
import { setupTracing } from './tracing.js';
import { OriginWorker } from './worker.js';

const DEFAULT_PIPELINE = fileURLToPath(new URL('./pipeline.json', import.meta.url));

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

async function main(): Promise<void> {
  const workerId = process.env.LUMEN_WORKER_ID ?? `${hostname()}-${process.pid}`;
  const logger = createLogger({ service: 'origin-gpu', workerId });
  const tracing = setupTracing(process.env, workerId);
  if (tracing) logger.info('exporting traces over OTLP', { endpoint: process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT });
  const secret = process.env.LUMEN_ORIGIN_SECRET;
  if (!secret) throw new Error('LUMEN_ORIGIN_SECRET is not set: it must equal the gateway\'s ORIGIN_SECRET.');
  const gatewayUrl = process.env.LUMEN_GATEWAY_URL ?? 'http://127.0.0.1:8787';
  const dbUrl = process.env.LUMEN_DB_URL ?? 'file:.lumen/origin.db';

  const { db, client } = await openOriginDatabase(dbUrl, process.env.LUMEN_DB_AUTH_TOKEN);
  const metrics = new OriginMetrics(workerId);
  const runtime = new OnnxRuntime({
    onRun: ({ rows, onnxMs }) => metrics.onnxRun(rows, onnxMs / 1000),
    intraOpThreads: positiveInt('LUMEN_ONNX_THREADS', 1),
    maxBatchSize: positiveInt('LUMEN_MAX_BATCH', 8),
    // The bound: a call never waits more than 5 ms for company.
    maxBatchWaitMs: Math.min(5, Math.max(0, Number(process.env.LUMEN_BATCH_WAIT_MS ?? '2') || 0)),
    onWorkerCrash: (reason) => logger.warn('inference worker died; a new one reloads the models and retries its calls', { reason: reason.message }),
  });
  const gateway = new GatewayClient(gatewayUrl, secret);
  // The prompt check runs the gateway's live policy again (defence in depth), read through a cache
  // that answers from memory and refreshes in the background; unreachable, it keeps the last known or default policy.
  const policies = new PolicyCache({
    ttlMs: positiveInt('LUMEN_POLICY_CACHE_MS', 5_000),
    serveStale: true,
    onRefreshError: (error) => logger.warn('policy refresh failed; keeping the last known policy', { error: String(error) }),
  });
  const resolvePolicy = (tenantId: string | undefined) => policies.resolve(tenantId, () => gateway.policy(undefined, AbortSignal.timeout(5_000)));
  // The C2PA chain lives next to the provenance key unless placed elsewhere; like it, every origin must share it.
  const stateDir = dirname(process.env.LUMEN_PROVENANCE_KEY_FILE ?? '.lumen/provenance-key.pem');
  const c2pa = await loadC2paCredentials({
    certificatesPem: process.env.LUMEN_C2PA_CERT,
    keyPem: process.env.LUMEN_C2PA_KEY,
    certificatesPath: process.env.LUMEN_C2PA_CERT_FILE ?? join(stateDir, 'c2pa-cert.pem'),
    keyPath: process.env.LUMEN_C2PA_KEY_FILE ?? join(stateDir, 'c2pa-key.pem'),
  });
  const pipeline = await loadPipeline(process.env.LUMEN_PIPELINE ?? DEFAULT_PIPELINE, {
    'lumen/prompt-policy': { resolvePolicy },
    'lumen/c2pa-manifest': { credentials: c2pa },
  });
  await setupPipeline(pipeline, { logger, runtime });
  const signingKey = await loadSigningKey({
    pem: process.env.LUMEN_PROVENANCE_KEY,
    path: process.env.LUMEN_PROVENANCE_KEY_FILE ?? '.lumen/provenance-key.pem',
  });
  const provenance = new ProvenanceRegistry(db, signingKey, pipeline);
  await provenance.publishKey();
  const policy = await resolvePolicy(undefined);
  logger.info('pipeline ready', { policyVersion: policy.version, stages: pipeline.stages.map((stage) => stage.name), passes: pipeline.passes, db: dbUrl.split('?')[0] });

  const worker = new OriginWorker({
    workerId,
    gateway,
    pipeline,
    runtime,
    db,
    provenance,
    logger,
    slots: positiveInt('LUMEN_SLOTS', 1),
    paidReservedSlots: Number(process.env.LUMEN_PAID_RESERVED_SLOTS ?? '0'),
    freeYieldMs: Number(process.env.LUMEN_FREE_YIELD_MS ?? '2000'),
    tenantFairness: process.env.LUMEN_TENANT_FAIRNESS !== 'off',
    metrics,
    // A drained worker leaves as on SIGTERM: its held jobs finish within the grace period.
    onDrain: () => void shutdown('drain'),
  });
  const metricsPort = process.env.LUMEN_METRICS_PORT;
  const metricsServer = metricsPort ? serveMetrics(metrics, Number(metricsPort), process.env.LUMEN_METRICS_HOST ?? '127.0.0.1') : undefined;
  if (metricsServer) {
    await once(metricsServer, 'listening');
    logger.info('metrics at /metrics', { port: Number(metricsPort) });
  }
  const apiPort = process.env.LUMEN_API_PORT;
  const api = apiPort ? createOriginApi({ secret, db, provenance, logger, c2paTrustAnchor: c2pa.trustAnchorPem }) : undefined;
  if (api) {
    api.listen(Number(apiPort), process.env.LUMEN_API_HOST ?? '127.0.0.1');
    await once(api, 'listening');
    logger.info('origin API listening', { port: Number(apiPort), keyId: signingKey.keyId });
  }
  worker.start();
  logger.info('leasing jobs', { gateway: gatewayUrl });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal, inFlight: worker.inFlight });
    api?.close();
    metricsServer?.close();
    await worker.stop(positiveInt('LUMEN_SHUTDOWN_GRACE_MS', 30_000));
    await disposePipeline(pipeline, logger);
    await runtime.dispose();
    await tracing?.shutdown().catch((error: unknown) => logger.warn('could not flush traces', { error: String(error) }));
    client.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`origin-gpu failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
