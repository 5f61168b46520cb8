import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './stack-imports.js';
import { startTestStack, until, type TestStack } from './stack.js';
import { parsePrometheusText, total } from '../support/prometheus-text.js';

describe('the origin\'s Prometheus metrics', () => {
  let stack: TestStack;
  let metricsUrl: string;
  let key: string;

  beforeAll(async () => {
    stack = await startTestStack({ origins: 0 });
    const port = await freePort();
    await stack.addOrigin('origin-metrics', { LUMEN_METRICS_PORT: String(port) });
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    key = await stack.key('metricspro', 'pro');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const generate = (body: Record<string, unknown>) =>
    fetch(`${stack.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ size: '256x256', ...body }),
    });

  it('should count jobs, passes, ONNX runs, uploads and verdicts after real work, in valid exposition text', async () => {
    const before = parsePrometheusText(await (await fetch(metricsUrl)).text());
    expect(total(before, 'lumen_origin_jobs_total')).toBe(0);
    expect(total(before, 'lumen_origin_slots', { worker: 'origin-metrics' })).toBe(1);

    expect((await generate({ prompt: 'a red circle on a blue background' })).status).toBe(200);
    const streamed = await generate({ prompt: 'a yellow star', stream: true, partial_images: 2 });
    expect(streamed.status).toBe(200);
    await streamed.text();

    // The worker counts a job once the gateway has its result, a moment after the stream may already have ended.
    const after = await until('both jobs counted', async () => {
      const response = await fetch(metricsUrl);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const families = parsePrometheusText(await response.text());
      return total(families, 'lumen_origin_jobs_total', { outcome: 'succeeded', tier: 'pro' }) === 2 ? families : undefined;
    });
    expect(total(after, 'lumen_origin_pass_duration_seconds', { size: '256x256' }, 'lumen_origin_pass_duration_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(total(after, 'lumen_origin_pass_duration_seconds', { size: '256x256' }, 'lumen_origin_pass_duration_seconds_sum')).toBeGreaterThan(0);
    expect(total(after, 'lumen_origin_lease_to_first_pass_seconds', { tier: 'pro' }, 'lumen_origin_lease_to_first_pass_seconds_count')).toBe(2);
    expect(total(after, 'lumen_origin_checkpoint_duration_seconds', {}, 'lumen_origin_checkpoint_duration_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(total(after, 'lumen_origin_upload_duration_seconds', { kind: 'image' }, 'lumen_origin_upload_duration_seconds_count')).toBe(2);
    expect(total(after, 'lumen_origin_upload_duration_seconds', { kind: 'preview' }, 'lumen_origin_upload_duration_seconds_count')).toBe(2);
    expect(total(after, 'lumen_origin_onnx_run_duration_seconds', {}, 'lumen_origin_onnx_run_duration_seconds_count')).toBeGreaterThan(0);
    expect(total(after, 'lumen_origin_onnx_batch_rows', {}, 'lumen_origin_onnx_batch_rows_count')).toBe(total(after, 'lumen_origin_onnx_run_duration_seconds', {}, 'lumen_origin_onnx_run_duration_seconds_count'));
    expect(total(after, 'lumen_origin_safety_verdicts_total', { stage: 'input', allowed: 'true', category: 'none' })).toBeGreaterThanOrEqual(2);
    expect(total(after, 'lumen_origin_slots_busy')).toBe(0);
    expect(total(after, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(after.has('nodejs_eventloop_lag_p99_seconds')).toBe(true);
    expect(after.has('nodejs_heap_size_used_bytes')).toBe(true);
    // Bounded labels: no job or tenant id is ever a label.
    for (const family of after.values()) {
      for (const sample of family.series) expect(Object.keys(sample.labels).filter((label) => /job|tenant/.test(label))).toEqual([]);
    }
    expect((await fetch(metricsUrl.replace('/metrics', '/other'))).status).toBe(404);
    // One slot and paid work only: each paid attempt had the worker to itself (observed as it ends, just after the count above).
    const overlap = 'lumen_origin_paid_alongside_free_seconds';
    const ended = await until('both paid attempts measured', async () => {
      const families = parsePrometheusText(await (await fetch(metricsUrl)).text());
      return total(families, overlap, { tier: 'pro' }, `${overlap}_count`) === 2 ? families : undefined;
    });
    expect(total(ended, overlap, { tier: 'pro', le: '0' }, `${overlap}_bucket`)).toBe(2);
  });
});
