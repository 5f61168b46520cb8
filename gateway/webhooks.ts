// Webhooks per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature),
// and the guard that keeps them away from internal addresses.
import { encodeBase64 } from 'hono/utils/encode';
import ipaddr from 'ipaddr.js';
import type { Env } from './env.js';

const encoder = new TextEncoder();

export type WebhookAddressVerdict = { ok: true; url: URL } | { ok: false; reason: string };

const BLOCKED_HOSTNAMES = new Set([
  'localhost',
  'localhost.localdomain',
  'ip6-localhost',
  'ip6-loopback',
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);
const BLOCKED_SUFFIXES = ['.localhost', '.internal', '.local', '.localdomain', '.home.arpa'];

// Public addresses that still answer as a cloud's metadata service (Azure's WireServer).
const BLOCKED_PUBLIC_IPV4 = [ipaddr.IPv4.parse('168.63.129.16')];

// IANA's global unicast block; everything outside 2000::/3 is reserved, local or special-purpose.
const GLOBAL_UNICAST_V6: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse('2000::'), 3];
const NAT64_WELL_KNOWN: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse('64:ff9b::'), 96];
const NAT64_LOCAL_USE: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse('64:ff9b:1::'), 48];
const IPV4_COMPATIBLE: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse('::'), 96];

// ipaddr.js's range names, in the words of an error message; the rest read well as they are.
const RANGE_WORDS: Record<string, string> = {
  linkLocal: 'link-local',
  carrierGradeNat: 'carrier-grade NAT',
  uniqueLocal: 'unique local',
  deprecatedSiteLocal: 'site-local',
  ipv4Mapped: 'IPv4-mapped',
  rfc6145: 'IPv4-translated',
  rfc6052: 'NAT64',
};
const describeRange = (range: string): string => RANGE_WORDS[range] ?? range;

const REFUSED_ADDRESS = 'points at a loopback, private, link-local or reserved address';

function ipv4FromWords(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/**
 * Every IPv4 address an IPv6 address may carry (mapped, translated,
 * IPv4-compatible, NAT64, 6to4, Teredo server and client), so an IPv4
 * target cannot be reached through an IPv6 spelling of it.
 */
function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4[] {
  const words = address.parts;
  const word = (index: number): number => words[index] ?? 0;
  const last32 = ipv4FromWords(word(6), word(7));
  const range = address.range();
  if (range === 'ipv4Mapped' || range === 'rfc6145' || address.match(IPV4_COMPATIBLE) || address.match(NAT64_WELL_KNOWN)) return [last32];
  // RFC 6052 §2.2: with a /48 prefix the IPv4 sits in bits 48–63 and 72–87 (bits 64–71 are zero).
  if (address.match(NAT64_LOCAL_USE)) return [new ipaddr.IPv4([word(3) >> 8, word(3) & 0xff, word(4) & 0xff, word(5) >> 8]), last32];
  if (range === '6to4') return [ipv4FromWords(word(1), word(2))];
  // Teredo: server in bits 32–63, client inverted in the last 32 bits.
  if (range === 'teredo') return [ipv4FromWords(word(2), word(3)), ipv4FromWords(~word(6) & 0xffff, ~word(7) & 0xffff)];
  return [];
}

/** What makes an IPv4 address unfit to receive webhooks ("loopback", "private"…), or null when nothing does. */
function ipv4Problem(address: ipaddr.IPv4): string | null {
  const range = address.range();
  if (range !== 'unicast') return describeRange(range);
  if (BLOCKED_PUBLIC_IPV4.some((blocked) => address.match(blocked, 32))) return 'a cloud metadata address';
  return null;
}

function ipv6Problem(address: ipaddr.IPv6): string | null {
  const spelled = address.toRFC5952String();
  const range = address.range();
  if (range === 'unspecified' || range === 'loopback') return `${spelled} is ${range}`;
  for (const inner of embeddedIpv4(address)) {
    const problem = ipv4Problem(inner);
    if (problem) return `${spelled} embeds ${inner.toString()}, which is ${problem}`;
  }
  // Tunnelled and translated forms are refused whatever they embed: a webhook receiver has no need of them.
  if (range !== 'unicast') return `${spelled} is ${describeRange(range)}`;
  if (!address.match(GLOBAL_UNICAST_V6)) return `${spelled} is outside the global unicast block 2000::/3`;
  return null;
}

/** The host as a resolver sees it: lowercase, with every trailing dot gone; null when a label is empty. */
function normalisedHostname(hostname: string): string | null {
  const host = hostname.toLowerCase().replace(/\.+$/, '');
  if (host === '' || host.split('.').some((label) => label === '')) return null;
  return host;
}

/**
 * Decides whether a webhook may be sent to `raw`. Loopback, private, link-local,
 * reserved and cloud-metadata addresses (also when spelled as IPv4 embedded in
 * IPv6) and internal hostnames are refused unless their host is in `allowedHosts`
 * (an operator's list for local development). WHATWG URL parsing has already
 * turned integer, hex and octal IPv4 (http://2130706433/, http://0x7f.1/) into
 * dotted form. Hostnames that resolve to private addresses cannot be caught here
 * (Workers have no DNS API): deployments firewall the gateway's egress (docs/CONFIGURATION.md).
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
  const host = normalisedHostname(url.hostname);
  if (host === null) return { ok: false, reason: 'has an empty label in its hostname' };
  const hostWithPort = url.port ? `${host}:${url.port}` : host;
  if (allowedHosts.includes(host) || allowedHosts.includes(hostWithPort) || allowedHosts.includes(host.replace(/^\[|\]$/g, ''))) return { ok: true, url };

  if (host.startsWith('[')) {
    let address: ipaddr.IPv6;
    try {
      address = ipaddr.IPv6.parse(host.slice(1, -1));
    } catch {
      return { ok: false, reason: 'is not a valid URL' };
    }
    const problem = ipv6Problem(address);
    return problem ? { ok: false, reason: `${REFUSED_ADDRESS} (${problem})` } : { ok: true, url };
  }
  // Trailing dots are gone now, so let URL's IPv4 parser see the host again (http://127.0.0.1../).
  let canonical: string;
  try {
    canonical = new URL(`http://${host}/`).hostname;
  } catch {
    return { ok: false, reason: 'is not a valid URL' };
  }
  if (ipaddr.IPv4.isValidFourPartDecimal(canonical)) {
    const problem = ipv4Problem(ipaddr.IPv4.parse(canonical));
    return problem ? { ok: false, reason: `${REFUSED_ADDRESS} (${canonical} is ${problem})` } : { ok: true, url };
  }
  if (BLOCKED_HOSTNAMES.has(canonical) || BLOCKED_SUFFIXES.some((suffix) => canonical.endsWith(suffix))) {
    return { ok: false, reason: 'points at an internal host' };
  }
  // A single-label name (http://intranet/) resolves through the local search domains, never on the public internet.
  if (!canonical.includes('.')) return { ok: false, reason: 'points at an internal host (a name without a dot)' };
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
