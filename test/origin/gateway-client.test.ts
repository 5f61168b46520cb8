import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayCallError, GatewayClient } from '../../origin-gpu/gateway-client.js';

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

  it('should send completions that finish while one is in flight as one batch, and fail only the stale one', async () => {
    const bodies: { completions: { jobId: string }[] }[] = [];
    const gateway = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { completions: { jobId: string }[] };
        bodies.push(body);
        const results = body.completions.map(({ jobId }) => (jobId === 'job_0_stale' ? { jobId, ok: false, code: 'stale_lease', message: 'gone' } : { jobId, ok: true }));
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ results }));
      });
    });
    server = gateway;
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    const client = new GatewayClient(`http://127.0.0.1:${(gateway.address() as AddressInfo).port}`, 'secret', 10_000);
    const done = (jobId: string) => client.complete(jobId, { leaseId: 'l', images: [{ index: 0, key: `images/t/${jobId}/l/0.png`, contentType: 'image/png', bytes: 1 }], usage: { inputTokens: 1, outputTokens: 1 } });
    const outcomes = await Promise.allSettled(['job_0_a', 'job_0_b', 'job_0_stale', 'job_0_c'].map(done));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({ status: 409, code: 'stale_lease' });
    // The first goes at once; the three reported while it was in flight share the next call.
    expect(bodies.map((body) => body.completions.map((completion) => completion.jobId))).toEqual([['job_0_a'], ['job_0_b', 'job_0_stale', 'job_0_c']]);
  });
});
