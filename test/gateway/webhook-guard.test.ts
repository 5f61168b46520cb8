import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { QueueShard } from '../../gateway/objects/queue-shard.js';
import { shardStub } from '../../gateway/queue.js';
import { checkWebhookAddress, webhookAllowedHosts } from '../../gateway/webhooks.js';
import { call, createTenant, env } from './helpers.js';

// These tests call the address guard itself; nothing here sends traffic anywhere but loopback.

const REFUSED: Array<[string, string]> = [
  // The forms issue 17 found accepted.
  ['IPv4-compatible IPv6 of loopback', 'http://[::127.0.0.1]/hook'],
  ['IPv4-compatible IPv6 of the metadata address', 'http://[::a9fe:a9fe]/latest/meta-data/'],
  ['NAT64 of the metadata address', 'http://[64:ff9b::a9fe:a9fe]/latest/meta-data/'],
  ['site-local IPv6', 'http://[fec0::1]/hook'],
  ['localhost with two trailing dots', 'http://localhost..:8080/hook'],
  // IPv4 special ranges.
  ['"this" network', 'http://0.0.0.0/'],
  ['"this" network, non-zero', 'http://0.1.2.3/'],
  ['private 10/8', 'http://10.1.2.3/'],
  ['private 10/8 top', 'http://10.255.255.255/'],
  ['carrier-grade NAT', 'http://100.64.0.1/'],
  ['carrier-grade NAT (Alibaba metadata)', 'http://100.100.100.200/latest/meta-data/'],
  ['loopback', 'http://127.0.0.1/hook'],
  ['loopback, not .1', 'http://127.255.0.9/'],
  ['link-local metadata', 'http://169.254.169.254/latest/meta-data/'],
  ['link-local', 'http://169.254.0.1/'],
  ['private 172.16/12', 'http://172.16.0.1/'],
  ['private 172.16/12 top', 'http://172.31.255.254/'],
  ['IETF protocol assignments (Oracle metadata)', 'http://192.0.0.192/'],
  ['TEST-NET-1', 'http://192.0.2.1/'],
  ['6to4 relay anycast', 'http://192.88.99.1/'],
  ['private 192.168/16', 'http://192.168.1.10/'],
  ['benchmarking', 'http://198.18.0.1/'],
  ['benchmarking top', 'http://198.19.255.255/'],
  ['TEST-NET-2', 'http://198.51.100.7/'],
  ['TEST-NET-3', 'http://203.0.113.9/'],
  ['multicast', 'http://224.0.0.1/'],
  ['multicast top', 'http://239.255.255.250/'],
  ['reserved class E', 'http://240.0.0.1/'],
  ['broadcast', 'http://255.255.255.255/'],
  ['AS112', 'http://192.175.48.1/'],
  ['AMT', 'http://192.52.193.1/'],
  ['Azure WireServer', 'http://168.63.129.16/machine'],
  // IPv4 spellings WHATWG URL normalises.
  ['integer IPv4', 'http://2130706433/'],
  ['hex IPv4', 'http://0x7f000001/'],
  ['hex and short IPv4', 'http://0x7f.1/'],
  ['octal IPv4', 'http://017700000001/'],
  ['octal dotted IPv4', 'http://0177.0.0.01/'],
  ['two-part IPv4', 'http://127.1/'],
  ['percent-encoded IPv4', 'http://%31%32%37.0.0.1/'],
  ['full-width IPv4', 'http://１２７.０.０.１/'],
  ['IPv4 with a trailing dot', 'http://127.0.0.1./'],
  ['IPv4 with two trailing dots', 'http://127.0.0.1../'],
  ['integer metadata address', 'http://2852039166/latest/meta-data/'],
  // IPv6 special ranges.
  ['unspecified', 'http://[::]/'],
  ['loopback', 'http://[::1]/'],
  ['loopback, long form', 'http://[0:0:0:0:0:0:0:1]/'],
  ['IPv4-mapped loopback', 'http://[::ffff:127.0.0.1]/'],
  ['IPv4-mapped metadata', 'http://[::ffff:a9fe:a9fe]/'],
  ['IPv4-mapped public', 'http://[::ffff:8.8.8.8]/'],
  ['IPv4-translated', 'http://[::ffff:0:7f00:1]/'],
  ['IPv4-compatible private', 'http://[::10.0.0.1]/'],
  ['NAT64 of loopback', 'http://[64:ff9b::127.0.0.1]/'],
  ['NAT64 of a public address', 'http://[64:ff9b::808:808]/'],
  ['NAT64 local-use /48 of loopback', 'http://[64:ff9b:1:7f00:0:100::]/'],
  ['NAT64 local-use /96 of loopback', 'http://[64:ff9b:1::7f00:1]/'],
  ['discard-only', 'http://[100::1]/'],
  ['Teredo', 'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/'],
  ['Teredo with a loopback client', 'http://[2001:0:808:808:0:0:80ff:fffe]/'],
  ['benchmarking', 'http://[2001:2::1]/'],
  ['AMT', 'http://[2001:3::1]/'],
  ['AS112', 'http://[2001:4:112::1]/'],
  ['ORCHIDv2', 'http://[2001:20::1]/'],
  ['drone remote ID', 'http://[2001:30::1]/'],
  ['documentation', 'http://[2001:db8::1]/'],
  ['documentation, 3fff::/20', 'http://[3fff::1]/'],
  ['6to4 of loopback', 'http://[2002:7f00:1::]/'],
  ['6to4 of the metadata address', 'http://[2002:a9fe:a9fe::1]/'],
  ['6to4 of a public address', 'http://[2002:808:808::1]/'],
  ['segment routing', 'http://[5f00::1]/'],
  ['unallocated outside 2000::/3', 'http://[4000::1]/'],
  ['unique local', 'http://[fc00::1]/'],
  ['unique local (AWS metadata)', 'http://[fd00:ec2::254]/latest/meta-data/'],
  ['site-local top', 'http://[feff::1]/'],
  ['link-local', 'http://[fe80::1]/'],
  ['link-local, upper end', 'http://[febf::1]/'],
  ['multicast', 'http://[ff02::1]/'],
  ['multicast global', 'http://[ff0e::1]/'],
  // Hostnames.
  ['localhost', 'http://localhost/hook'],
  ['LOCALHOST', 'http://LOCALHOST/'],
  ['localhost with a trailing dot', 'http://localhost./'],
  ['localhost with three trailing dots', 'http://localhost.../'],
  ['a .localhost name', 'http://api.localhost/'],
  ['localhost.localdomain', 'http://localhost.localdomain/'],
  ['ip6-localhost', 'http://ip6-localhost/'],
  ['GCP metadata', 'http://metadata.google.internal/computeMetadata/v1/'],
  ['GCP metadata, trailing dot', 'http://metadata.google.internal./computeMetadata/v1/'],
  ['GCP metadata short', 'http://metadata/computeMetadata/v1/'],
  ['metadata.goog', 'http://metadata.goog/'],
  ['EC2 instance-data', 'http://instance-data/latest/'],
  ['a .internal name', 'http://db.internal/'],
  ['a .local name', 'http://printer.local/'],
  ['a .home.arpa name', 'http://router.home.arpa/'],
  ['a single-label name', 'http://intranet/hook'],
  ['an empty label', 'http://hooks..example.com/'],
  ['a leading dot', 'http://.example.com/'],
  ['only dots', 'http://.../'],
  // Not a URL we send to.
  ['ftp', 'ftp://example.com/'],
  ['file', 'file:///etc/passwd'],
  ['javascript', 'javascript:alert(1)'],
  ['credentials', 'http://user:pass@example.com/'],
  ['user only', 'http://user@example.com/'],
  ['not a URL', 'not a url'],
  ['invalid IPv4 once dots are stripped', 'http://1.2.3.256../'],
  ['IPv6 zone id', 'http://[fe80::1%25eth0]/'],
];

const ALLOWED: Array<[string, string]> = [
  ['a public name', 'https://example.com/hook'],
  ['a public name with a port', 'https://hooks.example.com:8443/lumen'],
  ['a public name with one trailing dot', 'https://example.com./hook'],
  ['a punycode name', 'https://xn--bcher-kva.example/hook'],
  ['a unicode name, as URL turns it into punycode', 'https://bücher.example/hook'],
  ['a name that merely starts like an internal one', 'https://localhost-hooks.example.com/'],
  ['a name ending in "local" but not ".local"', 'https://hooks.glocal/'],
  ['a public IPv4', 'https://93.184.216.34/'],
  ['a public IPv4 next to a private range', 'http://172.32.0.1/'],
  ['a public IPv4 next to CGNAT', 'http://100.128.0.1/'],
  ['a public IPv6', 'http://[2606:4700::1111]/'],
  ['a public IPv6 (Google DNS)', 'http://[2001:4860:4860::8888]/'],
];

describe('webhook address guard', () => {
  it('should cover at least 60 cases', () => {
    expect(REFUSED.length + ALLOWED.length).toBeGreaterThanOrEqual(60);
  });

  it.each(REFUSED)('should refuse %s: %s', (_, url) => {
    const verdict = checkWebhookAddress(url);
    expect(verdict.ok, JSON.stringify(verdict)).toBe(false);
  });

  it.each(ALLOWED)('should allow %s: %s', (_, url) => {
    const verdict = checkWebhookAddress(url);
    expect(verdict, JSON.stringify(verdict)).toMatchObject({ ok: true });
  });

  it('should say which address an IPv6 spelling embeds', () => {
    expect(checkWebhookAddress('http://[64:ff9b::a9fe:a9fe]/')).toEqual({
      ok: false,
      reason: 'points at a loopback, private, link-local or reserved address (64:ff9b::a9fe:a9fe embeds 169.254.169.254, which is link-local)',
    });
    expect(checkWebhookAddress('http://[fec0::1]/')).toMatchObject({ reason: expect.stringContaining('site-local') });
  });

  it('should let the operator allow-list internal hosts for local development, by host or host:port', () => {
    expect(checkWebhookAddress('http://127.0.0.1:9000/hook', ['127.0.0.1']).ok).toBe(true);
    expect(checkWebhookAddress('http://127.0.0.1:9000/hook', ['127.0.0.1:9000']).ok).toBe(true);
    expect(checkWebhookAddress('http://127.0.0.1:9001/hook', ['127.0.0.1:9000']).ok).toBe(false);
    expect(checkWebhookAddress('http://localhost..:9000/hook', ['localhost']).ok).toBe(true);
    expect(checkWebhookAddress('http://[::1]:9000/hook', ['::1']).ok).toBe(true);
    expect(checkWebhookAddress('http://receiver/hook', ['receiver']).ok).toBe(true);
    expect(checkWebhookAddress('http://10.0.0.1/hook', ['127.0.0.1']).ok).toBe(false);
    expect(webhookAllowedHosts({ WEBHOOK_ALLOWED_HOSTS: ' 127.0.0.1 , Receiver:8080,' })).toEqual(['127.0.0.1', 'receiver:8080']);
  });
});

describe('webhook_url on a request', () => {
  it.each(['http://[::127.0.0.1]/hook', 'http://[64:ff9b::a9fe:a9fe]/latest/meta-data/', 'http://localhost..:8080/hook', 'http://[fec0::1]/'])(
    'should refuse %s with 400 naming webhook_url',
    async (webhookUrl) => {
      const key = await createTenant('guardroute', 'pro');
      const response = await call('/v1/images/generations', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ prompt: 'x', webhook_url: webhookUrl }),
      });
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as { error: { type: string; param: string; code: string; message: string } };
      expect(error).toMatchObject({ type: 'invalid_request_error', param: 'webhook_url', code: 'invalid_value' });
    },
  );
});

describe('webhook delivery', () => {
  const params = { prompt: 'x', n: 1, width: 256, height: 256, quality: 'auto', outputFormat: 'png', outputCompression: 100, seed: 1, partialImages: 0 } as const;

  it('should check the stored address again before delivering, and give up on one it now refuses', async () => {
    const shard = shardStub(env, 950);
    // Stored as if accepted earlier (e.g. under an allow-list since changed); port 1 on loopback answers nothing.
    await shard.enqueue({ id: 'job_guard_1', tenantId: 'guarddeliver', tier: 'pro', params, queueLimit: 100, webhookUrl: 'http://127.0.0.1:1/hook' });
    const [lease] = await shard.lease('w', 1);
    expect((await shard.complete('job_guard_1', lease!.leaseId, [{ index: 0, key: 'k', contentType: 'image/png', bytes: 1 }], { inputTokens: 0, outputTokens: 0 })).ok).toBe(true);
    await runDurableObjectAlarm(shard);
    const deliveries = await runInDurableObject(shard, (_: QueueShard, state: DurableObjectState) =>
      state.storage.sql.exec<{ status: string; attempts: number; last_error: string }>('SELECT status, attempts, last_error FROM webhook_deliveries').toArray(),
    );
    expect(deliveries).toEqual([{ status: 'failed', attempts: 1, last_error: expect.stringMatching(/^address refused: points at a loopback/) }]);
  });
});
