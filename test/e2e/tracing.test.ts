import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, until, type TestStack } from './stack.js';

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: Record<string, unknown> }[];
}

/** A loopback OTLP/HTTP receiver that keeps every span it is sent (JSON encoding). */
async function startCollector(): Promise<{ server: Server; url: string; spans: ExportedSpan[] }> {
  const spans: ExportedSpan[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans: { scopeSpans: { spans: ExportedSpan[] }[] }[] };
        for (const resource of body.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans };
}

describe('a job\'s trace, from the client\'s traceparent through the origin\'s spans', () => {
  let stack: TestStack;
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let key: string;

  beforeAll(async () => {
    collector = await startCollector();
    stack = await startTestStack({ origins: 0 });
    await stack.addOrigin('origin-traced', { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '100' });
    key = await stack.key('tracedpro', 'pro');
  });

  afterAll(async () => {
    await stack?.stop();
    collector?.server.close();
  });

  it('should continue the client\'s trace: job, pass and stage spans under it, the trace id on the job and in the logs', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await fetch(`${stack.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      body: JSON.stringify({ prompt: 'a red circle', size: '256x256' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('lumen-trace-id')).toBe(traceId);
    const jobId = response.headers.get('lumen-job-id')!;
    const job = (await (await fetch(`${stack.url}/v1/images/jobs/${jobId}`, { headers: { authorization: `Bearer ${key}` } })).json()) as { trace_id: string };
    expect(job.trace_id).toBe(traceId);

    const ofTrace = () => collector.spans.filter((span) => span.traceId === traceId);
    const jobSpan = await until('the job span', () => ofTrace().find((span) => span.name === 'job'));
    // The job span's parent is the gateway's span for the job, a child of the client's.
    expect(jobSpan.parentSpanId).toMatch(/^[0-9a-f]{16}$/);
    expect(jobSpan.parentSpanId).not.toBe('00f067aa0ba902b7');
    expect(jobSpan.attributes.find((attribute) => attribute.key === 'lumen.job.id')?.value).toEqual({ stringValue: jobId });
    const passes = await until('4 pass spans', () => {
      const found = ofTrace().filter((span) => span.name.startsWith('pass '));
      return found.length === 4 ? found : undefined;
    });
    for (const pass of passes) expect(pass.parentSpanId).toBe(jobSpan.spanId);
    const decodes = ofTrace().filter((span) => span.name.endsWith(' decodePass'));
    expect(decodes).toHaveLength(4);
    for (const decode of decodes) expect(passes.map((pass) => pass.spanId)).toContain(decode.parentSpanId);
    for (const hook of ['checkPrompt', 'tokenize', 'watermark', 'encode']) {
      expect(ofTrace().some((span) => span.name.endsWith(` ${hook}`) && span.parentSpanId === jobSpan.spanId)).toBe(true);
    }
    expect(stack.logs.some((line) => line.includes(jobId) && line.includes(traceId))).toBe(true);
  });

  it('should start a new trace for a request without one', async () => {
    const response = await fetch(`${stack.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', traceparent: 'not-a-traceparent' },
      body: JSON.stringify({ prompt: 'a blue square', size: '256x256' }),
    });
    expect(response.status).toBe(200);
    const traceId = response.headers.get('lumen-trace-id')!;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    await until('the new trace\'s job span', () => collector.spans.find((span) => span.traceId === traceId && span.name === 'job'));
  });
});
