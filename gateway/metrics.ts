// Metrics: the Prometheus text exposition format (version 0.0.4) that
// GET /v1/admin/metrics answers with, the mergeable histogram the shards keep,
// and the optional Workers Analytics Engine sink the same events go to.
import type { Env } from './env.js';

export type Labels = Readonly<Record<string, string>>;

/** Seconds: from a lease handed out at once to one that waited ten minutes. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** Counts per bucket (not cumulative), the last one past every bound (+Inf); adding two is adding their arrays. */
export interface HistogramData {
  bounds: readonly number[];
  counts: number[];
  sum: number;
}

export function emptyHistogram(bounds: readonly number[] = LATENCY_BUCKETS_SECONDS): HistogramData {
  return { bounds, counts: new Array<number>(bounds.length + 1).fill(0), sum: 0 };
}

export function observe(histogram: HistogramData, value: number): void {
  const index = histogram.bounds.findIndex((bound) => value <= bound);
  histogram.counts[index === -1 ? histogram.bounds.length : index]! += 1;
  histogram.sum += value;
}

/** `into` plus `other`; both must have the same bounds. */
export function mergeHistogram(into: HistogramData, other: HistogramData): HistogramData {
  if (into.bounds.length !== other.bounds.length || into.bounds.some((bound, i) => bound !== other.bounds[i])) throw new Error('histograms with different buckets cannot be merged');
  return { bounds: into.bounds, counts: into.counts.map((count, i) => count + (other.counts[i] ?? 0)), sum: into.sum + other.sum };
}

type MetricType = 'counter' | 'gauge' | 'histogram';

interface Family {
  type: MetricType;
  help: string;
  /** Counter and gauge values by their rendered label set: one sample per label set, as Prometheus requires. */
  values: Map<string, number>;
  /** Rendered histogram lines, and the label sets they were written for. */
  histogramLines: string[];
  histograms: Set<string>;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabelValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  for (const [name] of entries) if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new Error(`bad label name ${name}`);
  return entries.length === 0 ? '' : `{${entries.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`;
}

/**
 * Builds one exposition. Counter names end in `_total`; samples of one family
 * and label set are summed, so per-shard reports can be added as they come.
 */
export class Exposition {
  readonly #families = new Map<string, Family>();

  counter(name: string, help: string, labels: Labels, value: number): this {
    if (!name.endsWith('_total')) throw new Error(`counter ${name} must end in _total`);
    return this.#sample(name, 'counter', help, labels, value, true);
  }

  gauge(name: string, help: string, labels: Labels, value: number): this {
    return this.#sample(name, 'gauge', help, labels, value, false);
  }

  /** Declares a family with no samples yet, so its HELP and TYPE are there before the first event. */
  declare(name: string, type: MetricType, help: string): this {
    this.#family(name, type, help);
    return this;
  }

  histogram(name: string, help: string, labels: Labels, data: HistogramData): this {
    const family = this.#family(name, 'histogram', help);
    const key = labelText(labels);
    if (family.histograms.has(key)) throw new Error(`histogram ${name}${key} written twice`);
    family.histograms.add(key);
    let cumulative = 0;
    data.bounds.forEach((bound, i) => {
      cumulative += data.counts[i] ?? 0;
      family.histogramLines.push(`${name}_bucket${labelText({ ...labels, le: formatValue(bound) })} ${cumulative}`);
    });
    cumulative += data.counts[data.bounds.length] ?? 0;
    family.histogramLines.push(`${name}_bucket${labelText({ ...labels, le: '+Inf' })} ${cumulative}`);
    family.histogramLines.push(`${name}_sum${key} ${formatValue(data.sum)}`);
    family.histogramLines.push(`${name}_count${key} ${cumulative}`);
    return this;
  }

  /** The text, `text/plain; version=0.0.4`, ending in a newline. */
  text(): string {
    const out: string[] = [];
    for (const [name, family] of this.#families) {
      const samples = [...family.values].map(([labels, value]) => `${name}${labels} ${formatValue(value)}`);
      out.push(`# HELP ${name} ${family.help.replaceAll('\\', '\\\\').replaceAll('\n', '\\n')}`, `# TYPE ${name} ${family.type}`, ...samples, ...family.histogramLines);
    }
    return `${out.join('\n')}\n`;
  }

  #family(name: string, type: MetricType, help: string): Family {
    if (!METRIC_NAME.test(name)) throw new Error(`bad metric name ${name}`);
    let family = this.#families.get(name);
    if (!family) {
      family = { type, help, values: new Map(), histogramLines: [], histograms: new Set() };
      this.#families.set(name, family);
    } else if (family.type !== type) {
      throw new Error(`metric ${name} is a ${family.type}, not a ${type}`);
    }
    return family;
  }

  #sample(name: string, type: MetricType, help: string, labels: Labels, value: number, add: boolean): this {
    const family = this.#family(name, type, help);
    const key = labelText(labels);
    const previous = family.values.get(key);
    if (previous !== undefined && !add) throw new Error(`gauge ${name}${key} written twice`);
    family.values.set(key, (previous ?? 0) + value);
    return this;
  }
}

/**
 * Writes one event to Workers Analytics Engine when the `METRICS` binding is
 * configured; without it, nothing. The layout is the same for every event:
 * index and blob1 the metric name, blob2… the label values in the order given, double1 the value.
 */
export function writeMetricEvent(env: Pick<Env, 'METRICS'>, name: string, labels: readonly string[], value = 1): void {
  const dataset = env.METRICS;
  if (!dataset) return;
  try {
    dataset.writeDataPoint({ indexes: [name], blobs: [name, ...labels], doubles: [value] });
  } catch (error) {
    // Metrics must never fail the request or the object that counts them.
    console.error(JSON.stringify({ level: 'error', message: 'analytics engine write failed', metric: name, error: String(error) }));
  }
}
