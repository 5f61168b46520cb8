import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from './stack.js';

interface Delivery {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

describe('webhooks, delivered to a receiver on loopback (allowed for this test only)', () => {
  let stack: TestStack;
  let receiver: Server;
  let receiverUrl: string;
  const deliveries: Delivery[] = [];
  const moved: Delivery[] = [];
  const landings: Delivery[] = [];
  let failuresLeft = 0;

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const path = request.url ?? '';
        if (path.startsWith('/landing')) {
          landings.push({ path, headers: request.headers, body });
        } else if (path.startsWith('/moved')) {
          moved.push({ path, headers: request.headers, body });
          // Elsewhere on this same allowed host: still not followed, since a redirect's target is never checked.
          response.writeHead(307, { location: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/landing` });
          response.end();
          return;
        } else {
          deliveries.push({ path, headers: request.headers, body });
        }
        response.statusCode = failuresLeft-- > 0 ? 500 : 204;
        response.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    stack = await startTestStack({ vars: { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } });
  });

  afterAll(async () => {
    await stack?.stop();
    receiver?.close();
  });

  async function until(predicate: () => boolean, timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    while (!predicate() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(predicate()).toBe(true);
  }

  it('should POST a signed event that verifies with the tenant\'s secret, retrying after a failure', { timeout: 60_000 }, async () => {
    const key = await stack.key('hookpro', 'pro');
    const { secret } = (await (await fetch(`${stack.url}/v1/webhooks/secret`, { headers: { authorization: `Bearer ${key}` } })).json()) as { secret: string };
    failuresLeft = 1;
    const response = await fetch(`${stack.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a blue circle', size: '256x256', webhook_url: receiverUrl }),
    });
    expect(response.status).toBe(200);
    // The first attempt gets a 500; the retry comes after the jittered backoff (2.5–7.5 s).
    await until(() => deliveries.length >= 2, 30_000);
    const [first, second] = deliveries as [Delivery, Delivery];
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    const id = String(second.headers['webhook-id']);
    const timestamp = String(second.headers['webhook-timestamp']);
    const expected = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64')).update(`${id}.${timestamp}.${second.body}`).digest('base64');
    expect(second.headers['webhook-signature']).toBe(`v1,${expected}`);
    expect(Math.abs(Date.now() / 1000 - Number(timestamp))).toBeLessThan(60);
    const event = JSON.parse(second.body) as { type: string; data: { status: string; images: number } };
    expect(event.type).toBe('image.generation.succeeded');
    expect(event.data).toMatchObject({ status: 'succeeded', images: 1 });
  });

  it('should not follow a redirect, and count it as a failed attempt', { timeout: 60_000 }, async () => {
    const key = await stack.key('hookredirect', 'pro');
    const response = await fetch(`${stack.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a green square', size: '256x256', webhook_url: `${receiverUrl.replace('/hooks', '/moved')}` }),
    });
    expect(response.status).toBe(200);
    // The 307 fails the attempt, so it is retried after the backoff (2.5–7.5 s): a second POST to the same address.
    await until(() => moved.length >= 2, 30_000);
    expect(moved[1]!.headers['webhook-id']).toBe(moved[0]!.headers['webhook-id']);
    expect(landings).toEqual([]);
  });
});
