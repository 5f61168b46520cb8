// Webhooks per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature),
// and the guard that keeps them away from internal addresses.
import { encodeBase64 } from 'hono/utils/encode';
import type { Env } from './env.js';

const encoder = new TextEncoder();

export type WebhookAddressVerdict = { ok: true; url: URL } | { ok: false; reason: string };

const BLOCKED_HOSTNAMES = new Set([
  'localhost',
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);

function ipv4Octets(host: string): number[] | null {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return null;
  const octets = host.split('.').map(Number);
  return octets.every((octet) => octet <= 255) ? octets : null;
}

function isPrivateIpv4([a, b]: number[]): boolean {
  return (
    a === 0 || // "this" network
    a === 10 ||
    a === 127 || // loopback
    (a === 100 && b! >= 64 && b! <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local, cloud metadata (169.254.169.254)
    (a === 172 && b! >= 16 && b! <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) ||
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    a! >= 224 // multicast and reserved
  );
}

function isPrivateIpv6(host: string): boolean {
  const address = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (address === '::' || address === '::1') return true;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (mapped?.[1]) {
    const octets = ipv4Octets(mapped[1]);
    return !octets || isPrivateIpv4(octets);
  }
  // fc00::/7 unique local, fe80::/10 link-local, ff00::/8 multicast, fd00:ec2::254 (AWS metadata) is in fc00::/7.
  return /^(f[cd]|fe[89ab]|ff)/.test(address) || address.startsWith('::ffff:');
}

/**
 * Decides whether a webhook may be sent to `raw`. Loopback, private, link-local
 * and cloud-metadata addresses are refused unless their host is in `allowedHosts`
 * (an operator's list for local development). Hostnames that resolve to private
 * addresses cannot be caught here (Workers have no DNS API); Cloudflare's egress
 * does not reach private networks, and self-hosters should firewall the gateway.
 */
export function checkWebhookAddress(raw: string, allowedHosts: readonly string[] = []): WebhookAddressVerdict {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'is not a valid URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: 'must use http or https' };
  if (url.username || url.password) return { ok: false, reason: 'must not carry credentials' };
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (allowedHosts.includes(host) || allowedHosts.includes(url.host.toLowerCase())) return { ok: true, url };
  if (BLOCKED_HOSTNAMES.has(host) || host.endsWith('.localhost') || host.endsWith('.internal') || host.endsWith('.local')) {
    return { ok: false, reason: 'points at an internal host' };
  }
  const octets = ipv4Octets(host);
  if (octets && isPrivateIpv4(octets)) return { ok: false, reason: 'points at a loopback, private or link-local address' };
  if (host.startsWith('[') || host.includes(':')) {
    if (isPrivateIpv6(host)) return { ok: false, reason: 'points at a loopback, private or link-local address' };
  }
  // Integer and hex forms of IPv4 (http://2130706433/) are normalised by URL to dotted form, so the check above sees them.
  return { ok: true, url };
}

/** The operator's list of internal hosts webhooks may still reach (local development only). */
export function webhookAllowedHosts(env: Pick<Env, 'WEBHOOK_ALLOWED_HOSTS'>): string[] {
  return (env.WEBHOOK_ALLOWED_HOSTS ?? '').split(',').map((host) => host.trim().toLowerCase()).filter(Boolean);
}

/** The per-tenant signing secret, derived so nothing needs storing: `whsec_` + base64 of HMAC(root, tenant). */
export async function tenantWebhookSecret(rootSecret: string, tenantId: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(rootSecret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return `whsec_${encodeBase64(await crypto.subtle.sign('HMAC', key, encoder.encode(`webhook:${tenantId}`)))}`;
}

/** Standard Webhooks headers for one delivery attempt. */
export async function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): Promise<Record<string, string>> {
  const keyBytes = Uint8Array.from(atob(secret.replace(/^whsec_/, '')), (char) => char.charCodeAt(0));
  const key = await crypto.subtle.importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const signature = await crypto.subtle.sign('HMAC', key, encoder.encode(`${id}.${timestampSeconds}.${body}`));
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': `v1,${encodeBase64(signature)}`,
    'content-type': 'application/json',
  };
}

/** Delay before retry `attempt` (1-based): exponential from 5 s, capped at 1 h, with ±50% jitter. */
export function webhookBackoffMs(attempt: number, random = Math.random): number {
  const base = Math.min(5_000 * 2 ** (attempt - 1), 3_600_000);
  return Math.round(base * (0.5 + random()));
}

export const WEBHOOK_MAX_ATTEMPTS = 8;
