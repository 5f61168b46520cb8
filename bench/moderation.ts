// Input-moderation benchmark: recall, false-positive rate and category
// accuracy of the bundled policy on the tuned evaluation set and on each
// held-out set (test/fixtures/moderation/), per category and per language,
// and the per-prompt latency of moderateText over many iterations.
//
//   node --import tsx bench/moderation.ts                  # 200 timed passes over every set
//   node --import tsx bench/moderation.ts --iterations 20  # a smoke run
//
// Prints a markdown report for docs/BENCHMARKS.md ("Input moderation").
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_POLICY, MODERATION_CATEGORIES, compilePolicy, moderateText } from '../plugins/safety-policy/engine.js';
import { EVALUATION_LANGUAGES, HOLDOUT_SETS, loadEvaluationSet, loadHoldoutSet, scoreEvaluation, type EvaluationEntry, type EvaluationReport } from '../test/fixtures/moderation/evaluation.js';
import { machine, percentile } from './harness.js';

const { values: args } = parseArgs({ options: { iterations: { type: 'string', default: '200' } } });
const ITERATIONS = Number(args.iterations);

const compileStarted = performance.now();
const policy = compilePolicy(DEFAULT_POLICY);
const compileMs = performance.now() - compileStarted;
const sets: Array<{ title: string; entries: EvaluationEntry[] }> = [
  { title: 'Main set (`unsafe.json` + `benign.json`, tuned on)', entries: loadEvaluationSet() },
  { title: 'Held-out set 1 (`holdout.json`, scored before the generalisation round, then tuned on)', entries: loadHoldoutSet(HOLDOUT_SETS[0]) },
  { title: 'Held-out set 2 (`holdout-2.json`, written after the round, never tuned on)', entries: loadHoldoutSet(HOLDOUT_SETS[1]) },
];
const reports = sets.map((set) => ({ ...set, report: scoreEvaluation(policy, set.entries) }));
const entries = sets.flatMap((set) => set.entries);

// Warm up the JIT, then time every prompt of every set ITERATIONS times, interleaved.
for (let pass = 0; pass < 5; pass++) for (const entry of entries) moderateText(policy, entry.text);
const latencies: number[] = [];
for (let pass = 0; pass < ITERATIONS; pass++) {
  for (const entry of entries) {
    const started = performance.now();
    moderateText(policy, entry.text);
    latencies.push(performance.now() - started);
  }
}
latencies.sort((a, b) => a - b);
// One 32k-character prompt (the cap): the worst case a caller can send.
const longPrompt = 'a quiet harbour at dawn with fishing boats and gulls, '.repeat(700);
const longTimes: number[] = [];
for (let i = 0; i < 50; i++) {
  const started = performance.now();
  moderateText(policy, longPrompt);
  longTimes.push(performance.now() - started);
}
longTimes.sort((a, b) => a - b);

const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
const ms = (value: number) => value.toFixed(3);
const lines: string[] = [];
lines.push(`Command: \`node --import tsx bench/moderation.ts --iterations ${ITERATIONS}\``);
lines.push(`Machine: ${machine()}, load average ${loadavg().map((load) => load.toFixed(1)).join(' / ')} at the end (the machine is shared)`);
for (const { title, report } of reports) {
  lines.push('', `#### ${title}`, '', ...renderReport(report));
}
lines.push('');
lines.push(`Latency per prompt (${latencies.length.toLocaleString('en')} calls: ${ITERATIONS} passes over the ${entries.length} prompts of all three sets, after 5 warm-up passes): p50 ${ms(percentile(latencies, 50))} ms, p99 ${ms(percentile(latencies, 99))} ms, max ${ms(latencies.at(-1)!)} ms.`);
lines.push(`A ${longPrompt.length.toLocaleString('en')}-character prompt: p50 ${ms(percentile(longTimes, 50))} ms, p99 ${ms(percentile(longTimes, 99))} ms. Compiling the bundled policy: ${compileMs.toFixed(1)} ms (once per process).`);
for (const { title, report } of reports) {
  const listed = [
    ...report.misses.map((miss) => `- missed, ${miss.language} \`${miss.expected}\`: ${miss.text}`),
    ...report.falsePositives.map((hit) => `- false positive, ${hit.language} → \`${hit.got}\`: ${hit.text}`),
    ...report.wrongCategory.map((hit) => `- wrong category, ${hit.language} \`${hit.expected}\` → \`${hit.got}\`: ${hit.text}`),
  ];
  if (listed.length) lines.push('', `${title}, prompts not handled as expected:`, ...listed);
}
console.log(lines.join('\n'));

function renderReport(report: EvaluationReport): string[] {
  const rows: string[] = [];
  rows.push('| set | prompts | blocked | rate |', '|---|---:|---:|---:|');
  rows.push(`| unsafe (recall) | ${report.unsafe} | ${report.unsafe - report.misses.length} | ${pct(report.recall)} |`);
  rows.push(`| benign (false positives) | ${report.benign} | ${report.falsePositives.length} | ${pct(report.falsePositiveRate)} |`);
  rows.push(`| unsafe blocked with the expected category | ${report.unsafe - report.misses.length} | ${report.unsafe - report.misses.length - report.wrongCategory.length} | ${pct(report.categoryAccuracy)} |`);
  rows.push('', '| category | prompts | recall | right category |', '|---|---:|---:|---:|');
  for (const id of MODERATION_CATEGORIES) {
    const tally = report.perCategory[id];
    rows.push(`| \`${id}\` | ${tally.total} | ${pct(tally.recall)} | ${tally.blocked ? pct(tally.rightCategory / tally.blocked) : '-'} |`);
  }
  rows.push('', '| language | unsafe | recall | benign | false positives |', '|---|---:|---:|---:|---:|');
  for (const language of EVALUATION_LANGUAGES) {
    const figures = report.perLanguage[language];
    if (figures) rows.push(`| ${language} | ${figures.unsafe} | ${pct(figures.recall)} | ${figures.benign} | ${pct(figures.falsePositiveRate)} |`);
  }
  return rows;
}
