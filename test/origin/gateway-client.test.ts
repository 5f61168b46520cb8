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
});
