// Edit benchmark: the compute of an edit against a fresh generation of the
// same size, through the default pipeline (real onnxruntime, the real output
// classifier, sharp), one job at a time so wall time is compute time.
//
//   node --import tsx bench/edits.ts [--runs 7] [--sizes 1024,256]
//
// Prints a markdown report for docs/BENCHMARKS.md ("Edits").
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadPipeline, type Pipeline } from '../origin-gpu/pipeline/registry.js';
import { disposePipeline, runJob, setupPipeline } from '../origin-gpu/pipeline/runner.js';
import { payloadsForJob } from '../origin-gpu/provenance/payload.js';
import { OnnxRuntime } from '../origin-gpu/runtime/onnx-runtime.js';
import type { EditSpec, GenerationSpec, TokenGrid } from '../plugins/sdk/index.js';
import { benchJob, benchLogger as logger, machine, round } from './harness.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, sizes: { type: 'string', default: '1024,256' } } });
const RUNS = Number(values.runs);
const SIZES = values.sizes.split(',').map(Number);
const PIPELINE = fileURLToPath(new URL('../origin-gpu/pipeline.json', import.meta.url));
const SOURCE_PROMPT = 'a red circle on a white background';
const signal = new AbortController().signal;
const median = (list: readonly number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? NaN;

let counter = 0;
function spec(size: number, prompt: string, edit?: EditSpec): GenerationSpec {
  return benchJob({ jobId: `job_bench_edit_${counter++}`, prompt, width: size, height: size, seed: 11, tenantId: 'bench', ...(edit && { edit }) });
}

/** Alpha 0 (editable) in a square of `side` px at the top left, 255 elsewhere. */
function cornerMask(size: number, side: number): Uint8Array {
  const alpha = new Uint8Array(size * size).fill(255);
  for (let y = 0; y < side; y++) alpha.fill(0, y * size, y * size + side);
  return alpha;
}

async function timeJob(pipeline: Pipeline, job: GenerationSpec): Promise<{ ms: number; grid: TokenGrid }> {
  const started = performance.now();
  const result = await runJob(pipeline, job, { signal, logger, watermarkPayloads: payloadsForJob(job.jobId, job.n, job.tenantId ?? '') });
  return { ms: performance.now() - started, grid: result.grids[0]! };
}

function changedShare(before: TokenGrid, after: TokenGrid): number {
  let changed = 0;
  for (let i = 0; i < before.tokens.length; i++) if (before.tokens[i] !== after.tokens[i]) changed++;
  return changed / before.tokens.length;
}

interface Row {
  size: number;
  scenario: string;
  ms: number;
  ratio: number;
  tokensChanged: number;
}

const runtime = new OnnxRuntime();
const pipeline = await loadPipeline(PIPELINE);
await setupPipeline(pipeline, { logger, runtime });
const rows: Row[] = [];
try {
  for (const size of SIZES) {
    // Warm-up: first calls pay for lazy initialisation everywhere.
    const source = await timeJob(pipeline, spec(size, SOURCE_PROMPT));
    await timeJob(pipeline, spec(size, 'a blue square', { sourceGrid: source.grid, sourcePrompt: SOURCE_PROMPT, sourceSeed: 11, inputFidelity: 'high' }));

    const fromSource = (prompt: string, extra: Partial<EditSpec> = {}) =>
      spec(size, prompt, { sourceGrid: source.grid, sourcePrompt: SOURCE_PROMPT, sourceSeed: 11, inputFidelity: 'high', ...extra });
    const scenarios: [string, () => GenerationSpec][] = [
      ['fresh generation', () => spec(size, SOURCE_PROMPT)],
      ['small masked edit (12.5% of each side, "a yellow star")', () => fromSource('a yellow star', { maskAlpha: cornerMask(size, size / 8) })],
      ['instruction edit ("make the circle green")', () => fromSource('make the circle green')],
      ['whole-prompt change ("a blue square on a green background")', () => fromSource('a blue square on a green background')],
    ];
    let freshMs = NaN;
    for (const [name, make] of scenarios) {
      const times: number[] = [];
      let share = 0;
      for (let run = 0; run < RUNS; run++) {
        const job = make();
        const timed = await timeJob(pipeline, job);
        times.push(timed.ms);
        share = job.edit ? changedShare(source.grid, timed.grid) : 1;
      }
      const ms = median(times);
      if (name === 'fresh generation') freshMs = ms;
      rows.push({ size, scenario: name, ms, ratio: ms / freshMs, tokensChanged: share });
      console.error(`${size}² ${name}: ${round(ms)} ms (${round((100 * ms) / freshMs)}% of fresh)`);
    }
  }
} finally {
  await disposePipeline(pipeline, logger);
  await runtime.dispose();
}

const lines = [
  `Machine: ${machine()}. Command: \`node --import tsx bench/edits.ts --runs ${RUNS} --sizes ${SIZES.join(',')}\`. Median wall time of one job through the default pipeline at concurrency 1 (tokenize, decode passes, the prompt policy and output classifier on every pass run, watermark, PNG encode).`,
  '',
  '| size | job | compute (ms) | vs fresh | tokens regenerated |',
  '|---|---|---|---|---|',
  ...rows.map((row) => `| ${row.size}² | ${row.scenario} | ${round(row.ms)} | ${round(100 * row.ratio)}% | ${round(100 * row.tokensChanged)}% |`),
];
console.log(lines.join('\n'));
