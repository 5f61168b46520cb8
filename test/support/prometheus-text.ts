// A strict reader of the Prometheus text exposition format (0.0.4), for tests
// that scrape /metrics: it throws on any line a Prometheus server would refuse.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SUFFIXES: Record<MetricFamily['type'], string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

function parseValue(raw: string, line: string): number {
  if (raw === '+Inf') return Infinity;
  if (raw === '-Inf') return -Infinity;
  if (raw === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) throw new Error(`bad sample value "${raw}" in: ${line}`);
  return Number(raw);
}

function parseLabels(body: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = body;
  while (rest.length > 0) {
    const match = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(,?)/.exec(rest);
    if (!match) throw new Error(`bad labels in: ${line}`);
    const [whole, name, value, comma] = match;
    if (!LABEL_NAME.test(name!) || name! in labels) throw new Error(`bad or repeated label "${name}" in: ${line}`);
    labels[name!] = value!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(whole.length);
    if (!comma && rest.length > 0) throw new Error(`labels must be separated by commas in: ${line}`);
  }
  return labels;
}

/** Parses a whole exposition; every sample must belong to a family declared by `# TYPE` before it. */
export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const helps = new Map<string, string>();
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('exposition must end with a newline');
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const meta = /^# (HELP|TYPE) ([^ ]+) ?(.*)$/.exec(line);
      if (!meta) continue; // a plain comment
      const [, kind, name, rest] = meta;
      if (!METRIC_NAME.test(name!)) throw new Error(`bad metric name in: ${line}`);
      if (kind === 'HELP') helps.set(name!, rest!);
      else {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest!)) throw new Error(`bad type in: ${line}`);
        if (families.has(name!)) throw new Error(`family ${name} declared twice`);
        families.set(name!, { name: name!, type: rest as MetricFamily['type'], help: helps.get(name!) ?? '', samples: [] });
      }
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ([^ ]+)(?: (-?\d+))?$/.exec(line);
    if (!sample) throw new Error(`bad sample line: ${line}`);
    const [, name, labelBody, value] = sample;
    const family = [...families.values()].find((candidate) => SUFFIXES[candidate.type].some((suffix) => candidate.name + suffix === name));
    if (!family) throw new Error(`sample ${name} has no # TYPE before it`);
    family.samples.push({ name: name!, labels: parseLabels(labelBody ?? '', line), value: parseValue(value!, line) });
  }
  for (const family of families.values()) {
    if (family.type === 'counter' && family.samples.some((sample) => sample.value < 0)) throw new Error(`counter ${family.name} is negative`);
    if (family.type === 'histogram') checkHistogram(family);
  }
  return families;
}

/** Buckets rise with `le`, and the +Inf bucket equals `_count`, for every label set. */
function checkHistogram(family: MetricFamily): void {
  const series = new Map<string, { buckets: [number, number][]; count?: number }>();
  const keyOf = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).filter(([name]) => name !== 'le').sort());
  for (const sample of family.samples) {
    const entry = series.get(keyOf(sample.labels)) ?? { buckets: [] };
    series.set(keyOf(sample.labels), entry);
    if (sample.name.endsWith('_bucket')) {
      if (sample.labels.le === undefined) throw new Error(`${sample.name} without le`);
      entry.buckets.push([parseValue(sample.labels.le, sample.name), sample.value]);
    } else if (sample.name.endsWith('_count')) entry.count = sample.value;
  }
  for (const [key, { buckets, count }] of series) {
    buckets.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < buckets.length; i++) if (buckets[i]![1] < buckets[i - 1]![1]) throw new Error(`${family.name}${key}: buckets fall`);
    const last = buckets.at(-1);
    if (!last || last[0] !== Infinity || last[1] !== count) throw new Error(`${family.name}${key}: +Inf bucket must equal _count`);
  }
}

/** The sum of a family's samples named `name` whose labels include `match`. */
export function sampleSum(families: Map<string, MetricFamily>, name: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name === name && Object.entries(match).every(([label, value]) => sample.labels[label] === value)) sum += sample.value;
    }
  }
  return sum;
}
