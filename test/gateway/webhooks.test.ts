import { describe, expect, it } from 'vitest';
import { checkWebhookAddress, signWebhook, tenantWebhookSecret, webhookBackoffMs } from '../../gateway/webhooks.js';
import { call, createTenant } from './helpers.js';

// These tests call the address guard itself; nothing here sends traffic anywhere.
describe('webhook address guard', () => {
  it.each([
    'http://127.0.0.1/hook',
    'http://localhost:8080/hook',
    'http://10.1.2.3/',
    'http://172.16.0.1/',
    'http://192.168.1.10/',
    'http://169.254.169.254/latest/meta-data/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://[::1]/',
    'http://[fe80::1]/',
    'http://[fd00:ec2::254]/',
    'http://[::ffff:127.0.0.1]/',
    'http://2130706433/',
    'http://0x7f000001/',
    'http://0.0.0.0/',
    'ftp://example.com/',
    'http://user:pass@example.com/',
    'not a url',
  ])('should refuse %s', (url) => {
    expect(checkWebhookAddress(url).ok).toBe(false);
  });

  it('should allow public addresses and operator-allowed dev hosts', () => {
    expect(checkWebhookAddress('https://hooks.example.com/lumen').ok).toBe(true);
    expect(checkWebhookAddress('https://93.184.216.34/').ok).toBe(true);
    expect(checkWebhookAddress('http://127.0.0.1:9000/hook', ['127.0.0.1']).ok).toBe(true);
  });

  it('should refuse an internal webhook_url on the generation request with a 400', async () => {
    const key = await createTenant('hooker', 'pro');
    const response = await call('/v1/images/generations', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ prompt: 'x', webhook_url: 'http://169.254.169.254/' }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { param: string } }).error.param).toBe('webhook_url');
  });
});

describe('Standard Webhooks signing', () => {
  it('should sign id.timestamp.body with the tenant secret', async () => {
    const secret = await tenantWebhookSecret('root', 'tenant1');
    expect(secret).toMatch(/^whsec_/);
    expect(await tenantWebhookSecret('root', 'tenant2')).not.toBe(secret);
    const headers = await signWebhook(secret, 'msg_1', 1700000000, '{"a":1}');
    const key = await crypto.subtle.importKey('raw', Uint8Array.from(atob(secret.slice(6)), (c) => c.charCodeAt(0)), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    const signature = Uint8Array.from(atob(headers['webhook-signature']!.slice(3)), (c) => c.charCodeAt(0));
    expect(await crypto.subtle.verify('HMAC', key, signature, new TextEncoder().encode('msg_1.1700000000.{"a":1}'))).toBe(true);
  });

  it('should back off exponentially with jitter', () => {
    expect(webhookBackoffMs(1, () => 0.5)).toBe(5_000);
    expect(webhookBackoffMs(3, () => 0.5)).toBe(20_000);
    expect(webhookBackoffMs(30, () => 0.5)).toBe(3_600_000);
    expect(webhookBackoffMs(1, () => 0)).toBe(2_500);
  });
});
