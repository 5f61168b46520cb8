// A strict reader of the Prometheus text exposition format (0.0.4), for tests:
// it throws on anything a Prometheus server would reject or that breaks its conventions.
// The gateway's /v1/admin/metrics and the origins' /metrics are both read with it.

export interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  series: Series[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/;

/** Prometheus reads values with Go's ParseFloat, which takes NaN and Inf in any case; prom-client writes an empty histogram's mean as `Nan`. */
function parseValue(text: string, line: string): number {
  if (/^\+?inf$/i.test(text)) return Infinity;
  if (/^-inf$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value in: ${line}`);
  return Number(text);
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const match = LABEL.exec(rest);
    if (!match) throw new Error(`bad labels in: ${line}`);
    if (match[1]! in labels) throw new Error(`label ${match[1]} twice in: ${line}`);
    labels[match[1]!] = match[2]!.replace(/\\(["\\n])/g, (_, char: string) => (char === 'n' ? '\n' : char));
    rest = rest.slice(match[0].length);
  }
  return labels;
}

/** The family a sample belongs to: histogram samples carry _bucket, _sum and _count suffixes. */
function familyOf(sample: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(sample);
  if (direct) return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (sample.endsWith(suffix)) {
      const family = families.get(sample.slice(0, -suffix.length));
      if (family && (family.type === 'histogram' || family.type === 'summary')) return family;
    }
  }
  return undefined;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('an exposition ends with a newline');
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const finished = new Set<string>();
  let current: Family | undefined;
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
      const [, kind, name, ...rest] = line.split(' ');
      if (!name || !NAME.test(name)) throw new Error(`bad metric name in: ${line}`);
      let family = families.get(name);
      if (!family) {
        if (finished.has(name)) throw new Error(`family ${name} is split`);
        family = { name, type: 'untyped', help: '', series: [] };
        families.set(name, family);
      } else if (family.series.length > 0) {
        throw new Error(`${kind} of ${name} after its samples`);
      }
      if (current && current !== family) finished.add(current.name);
      current = family;
      if (kind === 'TYPE') {
        const type = rest.join(' ');
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type)) throw new Error(`bad type in: ${line}`);
        family.type = type as Family['type'];
      } else {
        family.help = rest.join(' ');
      }
      continue;
    }
    // The format ignores empty lines (prom-client puts one between families).
    if (line.startsWith('#') || line.trim() === '') continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`bad sample line: ${line}`);
    const [, name, , labelText, valueText] = match;
    const family = familyOf(name!, families);
    if (!family) throw new Error(`sample ${name} has no TYPE before it`);
    if (family !== current) throw new Error(`sample of ${family.name} outside its family's block`);
    const labels = parseLabels(labelText ?? '', line);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`series twice: ${line}`);
    seen.add(key);
    family.series.push({ name: name!, labels, value: parseValue(valueText!, line) });
  }
  for (const family of families.values()) {
    if (family.type === 'counter') {
      if (!family.name.endsWith('_total')) throw new Error(`counter ${family.name} does not end in _total`);
      for (const series of family.series) if (!(series.value >= 0)) throw new Error(`counter ${family.name} is negative`);
    }
    if (family.type === 'histogram') checkHistogram(family);
  }
  return families;
}

function checkHistogram(family: Family): void {
  const groups = new Map<string, Series[]>();
  for (const series of family.series) {
    const { le: _le, ...rest } = series.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    groups.set(key, [...(groups.get(key) ?? []), series]);
  }
  for (const group of groups.values()) {
    const buckets = group.filter((series) => series.name === `${family.name}_bucket`);
    const count = group.find((series) => series.name === `${family.name}_count`);
    if (!count || !group.some((series) => series.name === `${family.name}_sum`)) throw new Error(`histogram ${family.name} lacks _sum or _count`);
    const bounds = buckets.map((series) => parseValue(series.labels.le ?? '', family.name));
    if (bounds.at(-1) !== Infinity) throw new Error(`histogram ${family.name} lacks le="+Inf"`);
    buckets.forEach((bucket, i) => {
      if (i > 0 && (bounds[i]! <= bounds[i - 1]! || bucket.value < buckets[i - 1]!.value)) throw new Error(`histogram ${family.name} buckets are not cumulative`);
    });
    if (buckets.at(-1)!.value !== count.value) throw new Error(`histogram ${family.name}: +Inf bucket differs from _count`);
  }
}

/** Sum of a family's series (or of one sample name, e.g. `_count`) whose labels include `match`. */
export function total(families: Map<string, Family>, name: string, match: Record<string, string> = {}, sample = name): number {
  const family = families.get(name);
  if (!family) throw new Error(`no family ${name}`);
  return family.series.filter((series) => series.name === sample && Object.entries(match).every(([key, value]) => series.labels[key] === value)).reduce((sum, series) => sum + series.value, 0);
}
