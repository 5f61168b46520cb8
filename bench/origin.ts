// Origin benchmark: the default pipeline (origin-gpu/pipeline.json) with the
// real onnxruntime worker thread and sharp, no gateway and no database.
//
//   node --import tsx bench/origin.ts            # the full run (a few minutes)
//   LUMEN_BENCH_QUICK=1 node --import tsx bench/origin.ts
//
// Prints a markdown report for docs/BENCHMARKS.md ("Origin").
import { execSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadPipeline, type Pipeline } from '../origin-gpu/pipeline/registry.js';
import { runJob, setupPipeline, disposePipeline } from '../origin-gpu/pipeline/runner.js';
import { payloadsForJob } from '../origin-gpu/provenance/payload.js';
import { OnnxRuntime } from '../origin-gpu/runtime/onnx-runtime.js';
import type { GenerationSpec, Stage } from '../plugins/sdk/index.js';
import { BENCH_PROMPTS, benchJob, benchLogger as logger } from './harness.js';

const QUICK = process.env.LUMEN_BENCH_QUICK === '1';
const PIPELINE = fileURLToPath(new URL('../origin-gpu/pipeline.json', import.meta.url));

let jobCounter = 0;
function spec(size: number): GenerationSpec {
  const i = jobCounter++;
  return benchJob({ jobId: `job_bench_${i}`, prompt: BENCH_PROMPTS[i % BENCH_PROMPTS.length]!, width: size, height: size, seed: i });
}

const signal = new AbortController().signal;
/** Runs `job` as the origin worker does, the host handing in each image's watermark payload. */
const run = (pipeline: Pipeline, job: GenerationSpec) =>
  runJob(pipeline, job, { signal, logger, watermarkPayloads: payloadsForJob(job.jobId, job.n, job.tenantId ?? '') });
const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/** Wraps every hook of every stage to add its wall time to `times` (exact at concurrency 1). */
function timed(pipeline: Pipeline, times: Map<string, number>): Pipeline {
  const wrap = (stage: Stage): Stage => {
    const copy: Record<string, unknown> = { ...stage };
    for (const hook of ['tokenize', 'decodePass', 'checkPrompt', 'checkPass', 'watermark', 'encode']) {
      const original = (stage as unknown as Record<string, unknown>)[hook];
      if (typeof original !== 'function') continue;
      copy[hook] = async (...args: unknown[]) => {
        const started = performance.now();
        try {
          return await (original as (...a: unknown[]) => unknown).apply(stage, args);
        } finally {
          const key = `${stage.name} ${hook}`;
          times.set(key, (times.get(key) ?? 0) + performance.now() - started);
        }
      };
    }
    return copy as unknown as Stage;
  };
  const stages = pipeline.stages.map(wrap);
  return { passes: pipeline.passes, stages, byKind: (kind) => stages.filter((s) => s.kind === kind) as never };
}

interface Scenario {
  size: number;
  concurrency: number;
  jobs: number;
  seconds: number;
  imagesPerSecond: number;
  wallMsPerJob: number;
  onnxMsPerJob: number;
  overhead: number;
  inferenceBusy: number;
  onnxRuns: number;
  runCalls: number;
  loopP99Ms: number;
  loopMaxMs: number;
}

/** Closed loop: `concurrency` jobs in flight until `jobs` are done. */
async function scenario(pipeline: Pipeline, runtime: OnnxRuntime, size: number, concurrency: number, jobs: number): Promise<Scenario> {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const before = runtime.stats;
  let next = 0;
  let jobWallMs = 0;
  loop.enable();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < jobs) {
        const t0 = performance.now();
        await run(pipeline, spec(size));
        jobWallMs += performance.now() - t0;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  loop.disable();
  const after = runtime.stats;
  const onnxMs = after.onnxMilliseconds - before.onnxMilliseconds;
  return {
    size,
    concurrency,
    jobs,
    seconds,
    imagesPerSecond: jobs / seconds,
    wallMsPerJob: jobWallMs / jobs,
    onnxMsPerJob: onnxMs / jobs,
    // At concurrency 1: the share of a job's wall time spent outside onnxruntime.
    overhead: 1 - onnxMs / jobWallMs,
    // How busy the inference thread was; at concurrency > 1 ONNX overlaps the JavaScript of other jobs.
    inferenceBusy: onnxMs / (seconds * 1000),
    onnxRuns: after.onnxRuns - before.onnxRuns,
    runCalls: after.runCalls - before.runCalls,
    loopP99Ms: loop.percentile(99) / 1e6,
    loopMaxMs: loop.max / 1e6,
  };
}

async function main(): Promise<void> {
  // Other work on the machine skews every figure below; it is printed so a reader can tell.
  const loadBefore = loadavg()[0] ?? 0;
  const runtime = new OnnxRuntime({
    intraOpThreads: Number(process.env.LUMEN_ONNX_THREADS ?? 1),
    ...(process.env.LUMEN_BATCH_WAIT_MS ? { maxBatchWaitMs: Number(process.env.LUMEN_BATCH_WAIT_MS) } : {}),
  });
  const pipeline = await loadPipeline(PIPELINE);
  await setupPipeline(pipeline, { logger, runtime });

  // First request vs steady state, at 1024² (the API's default size), before anything else warms the process.
  const firstStarted = performance.now();
  await run(pipeline, spec(1024));
  const firstMs = performance.now() - firstStarted;
  const steady: number[] = [];
  for (let i = 0; i < (QUICK ? 4 : 10); i++) {
    const t0 = performance.now();
    await run(pipeline, spec(1024));
    steady.push(performance.now() - t0);
  }
  const steadyMs = median(steady);

  // Where the time goes, per hook, at concurrency 1.
  const times = new Map<string, number>();
  const timedPipeline = timed(pipeline, times);
  const breakdown: Record<number, { wall: number; onnx: number; hooks: [string, number][] }> = {};
  for (const size of [256, 1024]) {
    times.clear();
    const jobs = size === 256 ? 100 : 10;
    const result = await scenario(timedPipeline, runtime, size, 1, QUICK ? Math.ceil(jobs / 5) : jobs);
    breakdown[size] = {
      wall: result.wallMsPerJob,
      onnx: result.onnxMsPerJob,
      hooks: [...times].map(([hook, ms]) => [hook, ms / result.jobs] as [string, number]).sort((a, b) => b[1] - a[1]),
    };
  }

  const scenarios: Scenario[] = [];
  for (const [size, concurrency, jobs] of [
    [256, 1, 300],
    [256, 8, 600],
    [1024, 1, 20],
    [1024, 8, 48],
  ] as const) {
    scenarios.push(await scenario(pipeline, runtime, size, concurrency, QUICK ? Math.ceil(jobs / 10) : jobs));
  }

  // RSS over 2,000 jobs at 256², 8 at a time; the baseline is taken after 100 warm-up jobs.
  const rssJobs = QUICK ? 300 : 2000;
  await scenario(pipeline, runtime, 256, 8, 100);
  const rssSamples: number[] = [process.memoryUsage().rss];
  for (let done = 0; done < rssJobs; done += 200) {
    await scenario(pipeline, runtime, 256, 8, Math.min(200, rssJobs - done));
    rssSamples.push(process.memoryUsage().rss);
  }
  const rssStart = rssSamples[0]!;
  const rssEnd = rssSamples.at(-1)!;
  const rssMax = Math.max(...rssSamples);

  await disposePipeline(pipeline, logger);
  await runtime.dispose();

  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const freeH = (() => {
    try {
      return execSync('free -h', { encoding: 'utf8' }).trim();
    } catch {
      return `${(totalmem() / 2 ** 30).toFixed(1)} GiB total`;
    }
  })();
  const full = scenarios.find((s) => s.size === 1024 && s.concurrency === 8)!;
  const fullSmall = scenarios.find((s) => s.size === 256 && s.concurrency === 8)!;
  const overhead1 = (size: number) => scenarios.find((s) => s.size === size && s.concurrency === 1)!.overhead;
  const lines = [
    `Command: \`node --import tsx bench/origin.ts\`${QUICK ? ' (LUMEN_BENCH_QUICK=1)' : ''}`,
    `Date: ${new Date().toISOString()}`,
    `Machine: nproc ${cpus().length} (${cpus()[0]?.model ?? 'unknown CPU'}), node ${process.version}, LUMEN_ONNX_THREADS=${process.env.LUMEN_ONNX_THREADS ?? 1}, maxBatchWaitMs ${process.env.LUMEN_BATCH_WAIT_MS ?? 'default (2, only while jobs run concurrently)'}, 1-min load average before the run ${loadBefore.toFixed(2)}`,
    '```',
    freeH,
    '```',
    '',
    '| size | concurrent jobs | jobs | images/s | latency ms/job | ONNX ms/job | ONNX runs / run calls | inference thread busy | event-loop p99 | event-loop max |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...scenarios.map(
      (s) =>
        `| ${s.size}² | ${s.concurrency} | ${s.jobs} | ${s.imagesPerSecond.toFixed(1)} | ${s.wallMsPerJob.toFixed(1)} | ${s.onnxMsPerJob.toFixed(1)} | ${s.onnxRuns} / ${s.runCalls} | ${pct(s.inferenceBusy)} | ${s.loopP99Ms.toFixed(1)} ms | ${s.loopMaxMs.toFixed(1)} ms |`,
    ),
    '',
    'Where a job\'s time goes at concurrency 1 (ms per job, hook wall time; decodePass includes its ONNX run):',
    '',
    '| hook | 256² | 1024² |',
    '|---|---|---|',
    ...breakdown[1024]!.hooks.map(([hook]) => {
      const at = (size: number) => breakdown[size]!.hooks.find(([h]) => h === hook)?.[1] ?? 0;
      return `| ${hook} | ${at(256).toFixed(2)} | ${at(1024).toFixed(2)} |`;
    }),
    `| whole job (wall) | ${breakdown[256]!.wall.toFixed(2)} | ${breakdown[1024]!.wall.toFixed(2)} |`,
    `| of which ONNX | ${breakdown[256]!.onnx.toFixed(2)} | ${breakdown[1024]!.onnx.toFixed(2)} |`,
    '',
    '| target | measured | met |',
    '|---|---|---|',
    `| pipeline overhead (1 − ONNX ms / wall ms) ≤ 10% (concurrency 1) | 256²: ${pct(overhead1(256))}, 1024²: ${pct(overhead1(1024))} | ${overhead1(256) <= 0.1 && overhead1(1024) <= 0.1 ? 'yes' : 'no'} |`,
    `| event-loop delay p99 ≤ 20 ms under full load | 1024² × 8: ${full.loopP99Ms.toFixed(1)} ms; 256² × 8: ${fullSmall.loopP99Ms.toFixed(1)} ms | ${Math.max(full.loopP99Ms, fullSmall.loopP99Ms) <= 20 ? 'yes' : 'no'} |`,
    `| first request ≤ 2× steady state (1024²) | first ${firstMs.toFixed(0)} ms, steady median ${steadyMs.toFixed(0)} ms (${(firstMs / steadyMs).toFixed(2)}×) | ${firstMs <= 2 * steadyMs ? 'yes' : 'no'} |`,
    `| RSS growth ≤ 10% over ${rssJobs} jobs (256²) | ${mb(rssStart)} → ${mb(rssEnd)} (max ${mb(rssMax)}), ${pct(rssEnd / rssStart - 1)} | ${rssEnd <= 1.1 * rssStart ? 'yes' : 'no'} |`,
    '',
    `RSS every 200 jobs: ${rssSamples.map(mb).join(', ')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/origin failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
