import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayCallError, GatewayClient, type FinishedJob } from '../../origin-gpu/gateway-client.js';
import { COMPLETIONS_PART, completeMultipartSchema, MAX_COMPLETE_BODY_BYTES } from '../../protocol/jobs.js';

/** A loopback stand-in for the gateway that answers each call from a script. */
async function gatewayAnswering(statuses: number[]): Promise<{ url: string; server: Server; calls: () => number }> {
  let calls = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const status = statuses[Math.min(calls, statuses.length - 1)]!;
      calls++;
      response.statusCode = status;
      response.setHeader('content-type', 'application/json');
      response.end(status === 200 ? '{"keep":true}' : JSON.stringify({ error: { message: 'nope', code: status === 409 ? 'stale_lease' : null } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, calls: () => calls };
}

describe('GatewayClient', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('should retry through a gateway restart (503s) and succeed', async () => {
    const gateway = await gatewayAnswering([503, 503, 200]);
    server = gateway.server;
    const client = new GatewayClient(gateway.url, 'secret', 10_000);
    expect(await client.heartbeat('job_0_x', { leaseId: 'l', passesDone: 1 })).toEqual({ keep: true });
    expect(gateway.calls()).toBe(3);
  });

  it('should not retry a fenced call, and give up on a gateway that stays down', async () => {
    const fenced = await gatewayAnswering([409]);
    server = fenced.server;
    await expect(new GatewayClient(fenced.url, 'secret', 10_000).heartbeat('job_0_x', { leaseId: 'l', passesDone: 1 })).rejects.toMatchObject({ status: 409, code: 'stale_lease' });
    expect(fenced.calls()).toBe(1);
    fenced.server.close();

    const down = await gatewayAnswering([503]);
    server = down.server;
    await expect(new GatewayClient(down.url, 'secret', 1_000).heartbeat('job_0_x', { leaseId: 'l', passesDone: 1 })).rejects.toBeInstanceOf(GatewayCallError);
    expect(down.calls()).toBeGreaterThan(1);
  });

  it('should send completions that finish while one is in flight as one batch, with their images, and fail only the stale one', async () => {
    const gateway = await completionGateway();
    server = gateway.server;
    const client = new GatewayClient(gateway.url, 'secret', 10_000, 1);
    const outcomes = await Promise.allSettled(['job_0_a', 'job_0_b', 'job_0_stale', 'job_0_c'].map((jobId) => client.complete(finished(jobId, [bytesFor(jobId, 0)]))));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({ status: 409, code: 'stale_lease' });
    // The first goes at once; the three reported while it was in flight share the next call. No upload call of its own.
    expect(gateway.calls.map((call) => [call.method, call.path, call.jobIds])).toEqual([
      ['POST', '/internal/complete', ['job_0_a']],
      ['POST', '/internal/complete', ['job_0_b', 'job_0_stale', 'job_0_c']],
    ]);
    for (const call of gateway.calls) for (const jobId of call.jobIds) expect(call.images.get(`${jobId}/0.png`)).toEqual(bytesFor(jobId, 0));
  });

  it('should send each completion at once while fewer calls than its limit are in flight, and batch only beyond it', async () => {
    const gateway = await completionGateway();
    server = gateway.server;
    const client = new GatewayClient(gateway.url, 'secret', 10_000, 2);
    await Promise.all(['job_0_a', 'job_0_b', 'job_0_c', 'job_0_d', 'job_0_e'].map((jobId) => client.complete(finished(jobId, [bytesFor(jobId, 0)]))));
    // Two go at once, each alone; the three reported while both were out share the next call.
    // (Concurrent calls may reach the server in either order.)
    expect(gateway.calls.map((call) => call.jobIds.join(',')).sort()).toEqual(['job_0_a', 'job_0_b', 'job_0_c,job_0_d,job_0_e']);
  });

  it('should split completions that would not fit one body, and send a job too big for any body as uploads and a JSON completion', async () => {
    const gateway = await completionGateway();
    server = gateway.server;
    const client = new GatewayClient(gateway.url, 'secret', 10_000, 1);
    const third = Math.floor(MAX_COMPLETE_BODY_BYTES / 3);
    const [first, ...rest] = [
      finished('job_0_first', [new Uint8Array(16)]),
      finished('job_0_x', [new Uint8Array(third)]),
      finished('job_0_y', [new Uint8Array(third)]),
      finished('job_0_z', [new Uint8Array(third)]),
      // Each image under the body cap, together over it.
      finished('job_0_huge', [new Uint8Array(third * 2), new Uint8Array(third * 2)]),
      finished('job_0_after', [new Uint8Array(16)]),
    ];
    const inFlight = client.complete(first!);
    await Promise.all([inFlight, ...rest.map((job) => client.complete(job))]);
    expect(gateway.calls.map((call) => [call.method, call.path.replace(/\?.*/, ''), call.jobIds])).toEqual([
      ['POST', '/internal/complete', ['job_0_first']],
      // Three thirds of the cap plus the parts' headers do not fit one body.
      ['POST', '/internal/complete', ['job_0_x', 'job_0_y']],
      ['POST', '/internal/complete', ['job_0_z']],
      ['PUT', '/internal/jobs/job_0_huge/images/0', []],
      ['PUT', '/internal/jobs/job_0_huge/images/1', []],
      ['POST', '/internal/complete', ['job_0_huge']],
      ['POST', '/internal/complete', ['job_0_after']],
    ]);
    for (const call of gateway.calls) expect(call.bodyBytes).toBeLessThanOrEqual(MAX_COMPLETE_BODY_BYTES);
  });
});

const bytesFor = (jobId: string, index: number) => new TextEncoder().encode(`${jobId} image ${index}`);

function finished(jobId: string, images: Uint8Array[]): FinishedJob {
  return { jobId, leaseId: 'l', images: images.map((bytes, index) => ({ index, format: 'png', bytes })), usage: { inputTokens: 1, outputTokens: 1 } };
}

type RecordedCall = { method: string; path: string; bodyBytes: number; jobIds: string[]; images: Map<string, Uint8Array> };

/**
 * A loopback stand-in for the gateway's completion calls: it parses each multipart completion as the gateway would,
 * records its jobs and images, stores single-image PUTs, and refuses `job_0_stale`.
 */
async function completionGateway(): Promise<{ url: string; server: Server; calls: RecordedCall[] }> {
  const calls: RecordedCall[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const body = Buffer.concat(chunks);
      const call: RecordedCall = { method: request.method!, path: request.url!, bodyBytes: body.byteLength, jobIds: [], images: new Map() };
      calls.push(call);
      response.setHeader('content-type', 'application/json');
      if (request.method === 'PUT') {
        const index = Number(/images\/(\d+)/.exec(request.url!)![1]);
        response.end(JSON.stringify({ index, key: `images/t/job/l/${index}.png`, contentType: 'image/png', bytes: body.byteLength }));
        return;
      }
      let completions: { jobId: string; images: { index: number; format: string; part?: string }[] }[];
      if (request.headers['content-type']!.startsWith('multipart/form-data')) {
        const form = await new Response(body, { headers: { 'content-type': request.headers['content-type']! } }).formData();
        ({ completions } = completeMultipartSchema.parse(JSON.parse(String(form.get(COMPLETIONS_PART)))));
        for (const { jobId, images } of completions) {
          for (const { index, format, part } of images) call.images.set(`${jobId}/${index}.${format}`, new Uint8Array(await (form.get(part!) as File).arrayBuffer()));
        }
      } else {
        ({ completions } = JSON.parse(body.toString()) as { completions: { jobId: string; images: { index: number; format: string }[] }[] });
      }
      call.jobIds = completions.map(({ jobId }) => jobId);
      const results = completions.map(({ jobId }) => (jobId === 'job_0_stale' ? { jobId, ok: false, code: 'stale_lease', message: 'gone' } : { jobId, ok: true }));
      response.end(JSON.stringify({ results }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, calls };
}
