// The origin's measure of paid work sharing the worker with free work (issue 16, item 5): how often
// a paid attempt runs alongside a free pass, and for how long, and how free jobs' yields end.
import { describe, expect, it } from 'vitest';
import { OriginMetrics } from '../../origin-gpu/metrics.js';
import { parsePrometheusText, total } from '../support/prometheus-text.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const OVERLAP = 'lumen_origin_paid_alongside_free_seconds';

describe('paid work alongside free work', () => {
  it('should count a paid attempt that ran beside a working free job, and not one that ran while the free job yielded', async () => {
    const metrics = new OriginMetrics('metrics-test');
    const freeEnded = metrics.jobRunning('free');
    const beside = metrics.jobRunning('pro');
    await sleep(20);
    beside();

    const yielded = metrics.freeYielding();
    const alone = metrics.jobRunning('pro');
    await sleep(20);
    alone();
    yielded('paid_idle');
    freeEnded();

    // With no free job left, a paid attempt has the worker to itself however long it runs.
    const after = metrics.jobRunning('enterprise');
    await sleep(20);
    after();

    const families = parsePrometheusText(await metrics.registry.metrics());
    expect(total(families, OVERLAP, { tier: 'pro' }, `${OVERLAP}_count`)).toBe(2);
    expect(total(families, OVERLAP, { tier: 'pro', le: '0' }, `${OVERLAP}_bucket`)).toBe(1);
    expect(total(families, OVERLAP, { tier: 'pro' }, `${OVERLAP}_sum`)).toBeGreaterThan(0);
    expect(total(families, OVERLAP, { tier: 'enterprise', le: '0' }, `${OVERLAP}_bucket`)).toBe(1);
    expect(total(families, OVERLAP, { tier: 'enterprise' }, `${OVERLAP}_sum`)).toBe(0);
    expect(total(families, 'lumen_origin_free_yields_total', { end: 'paid_idle' })).toBe(1);
  });
});
