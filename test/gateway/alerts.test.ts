import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import alertsYaml from '../../docs/alerts.yml?raw';
import { ADMIN_SECRET, call } from './helpers.js';
import { parsePrometheusText } from '../support/prometheus-text.js';

interface Rule {
  alert?: unknown;
  expr?: unknown;
  for?: unknown;
  labels?: unknown;
  annotations?: unknown;
}

/** PromQL words that are not metric names. */
const PROMQL = new Set(['sum', 'max', 'min', 'avg', 'count', 'rate', 'irate', 'increase', 'by', 'without', 'histogram_quantile', 'le', 'and', 'or', 'unless', 'on', 'ignoring', 'bool', 'abs', 'clamp_min', 'clamp_max']);

describe('docs/alerts.yml', () => {
  it('should be Prometheus rule groups whose every rule has alert, expr, for and labels, naming only metrics the gateway exposes', async () => {
    const document = parse(alertsYaml) as { groups?: { name?: unknown; rules?: Rule[] }[] };
    expect(Array.isArray(document.groups) && document.groups.length > 0).toBe(true);
    const response = await call('/v1/admin/metrics', { headers: { authorization: `Bearer ${ADMIN_SECRET}` } });
    const families = parsePrometheusText(await response.text());
    const exposed = new Set<string>();
    for (const family of families.values()) for (const series of family.series) exposed.add(series.name);
    for (const family of families.keys()) exposed.add(family);
    const alerts = new Set<string>();
    for (const group of document.groups!) {
      expect(typeof group.name).toBe('string');
      expect(group.rules!.length).toBeGreaterThan(0);
      for (const rule of group.rules!) {
        expect(typeof rule.alert, JSON.stringify(rule)).toBe('string');
        expect(alerts.has(rule.alert as string), `${rule.alert} twice`).toBe(false);
        alerts.add(rule.alert as string);
        expect(typeof rule.expr).toBe('string');
        expect(rule.for).toMatch(/^\d+[smhd]$/);
        expect(typeof rule.labels === 'object' && rule.labels !== null && typeof (rule.labels as Record<string, unknown>).severity === 'string').toBe(true);
        // Every identifier outside label matchers and strings that is not PromQL is a metric name the scrape has.
        const bare = (rule.expr as string).replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '').replace(/\{[^}]*\}/g, '').replace(/\[[^\]]*\]/g, '').replace(/"[^"]*"/g, '');
        const names = (bare.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []).filter((word) => !PROMQL.has(word));
        expect(names.length, rule.alert as string).toBeGreaterThan(0);
        for (const name of names) expect(exposed.has(name), `${rule.alert}: ${name} is not in /v1/admin/metrics`).toBe(true);
      }
    }
  });
});
