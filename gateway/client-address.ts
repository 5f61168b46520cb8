// The client's address, taken only from where it can be trusted.
//
// On Cloudflare, `CF-Connecting-IP` is written by Cloudflare's edge and a
// client's own value is overwritten. Nothing in the request tells that edge
// apart from a self-hosted gateway, though: under wrangler dev (Miniflare)
// `request.cf` is a canned object (and a client may send its own through
// `MF-CF-Blob`), and a client-sent `CF-Connecting-IP` is kept as it is. So the
// gateway trusts a header only when the operator says which one its proxy
// sets (TRUSTED_CLIENT_IP_HEADER); by default it trusts none.
import { config } from './config.js';
import type { Env } from './env.js';

export type ClientAddressSource =
  | { header: 'cf-connecting-ip' | 'x-real-ip' }
  /** `hops` trusted proxies each append the address they saw: the client is that many entries from the right. */
  | { header: 'x-forwarded-for'; hops: number }
  | { header: null };

/** The configured source (config.ts parses the vars once per Env). */
export function clientAddressSource(env: Env): ClientAddressSource {
  const { trustedClientIpHeader: header, trustedProxyHops: hops } = config(env);
  if (header === 'x-forwarded-for') return { header, hops };
  if (header === 'none') return { header: null };
  return { header };
}

/** Loose enough for IPv4 and IPv6 (with zone or brackets); it only keys a counter, so it needs no more. */
const ADDRESS = /^[0-9A-Fa-f:.[\]%a-z]{2,64}$/;

/** The client's address from the trusted header, or null when there is no trustworthy one. */
export function clientAddress(headers: Headers, source: ClientAddressSource): string | null {
  if (source.header === null) return null;
  const value = headers.get(source.header);
  if (!value) return null;
  let address: string | undefined;
  if (source.header === 'x-forwarded-for') {
    const hops = value.split(',').map((part) => part.trim());
    // Entries left of the ones our proxies appended were written by the client: never read them.
    address = hops.length >= source.hops ? hops[hops.length - source.hops] : undefined;
  } else {
    address = value.trim();
  }
  return address && ADDRESS.test(address) ? address : null;
}
