// The client's address, taken only from where it can be trusted.
//
// On Cloudflare, `CF-Connecting-IP` is written by Cloudflare's edge and a
// client's own value is overwritten. Nothing in the request tells that edge
// apart from a self-hosted gateway, though: under wrangler dev (Miniflare)
// `request.cf` is a canned object (and a client may send its own through
// `MF-CF-Blob`), and a client-sent `CF-Connecting-IP` is kept as it is. So the
// gateway trusts a header only when the operator says which one its proxy
// sets (TRUSTED_CLIENT_IP_HEADER); by default it trusts none.
import type { Env } from './env.js';
import { numberVar } from './env.js';

export type ClientAddressSource =
  | { header: 'cf-connecting-ip' | 'x-real-ip' }
  /** `hops` trusted proxies each append the address they saw: the client is that many entries from the right. */
  | { header: 'x-forwarded-for'; hops: number }
  | { header: null };

const HEADERS = ['cf-connecting-ip', 'x-forwarded-for', 'x-real-ip', 'none'] as const;

let parsed: { raw: string; source: ClientAddressSource } | undefined;

/** The configured source, parsed once per isolate (again only if the vars change, as they do between tests). */
export function clientAddressSource(env: Pick<Env, 'TRUSTED_CLIENT_IP_HEADER' | 'TRUSTED_PROXY_HOPS'>): ClientAddressSource {
  const raw = `${env.TRUSTED_CLIENT_IP_HEADER ?? ''}\n${env.TRUSTED_PROXY_HOPS ?? ''}`;
  if (parsed?.raw === raw) return parsed.source;
  const header = (env.TRUSTED_CLIENT_IP_HEADER ?? 'none').trim().toLowerCase();
  if (!(HEADERS as readonly string[]).includes(header)) {
    throw new Error(`TRUSTED_CLIENT_IP_HEADER must be one of ${HEADERS.join(', ')}; got "${env.TRUSTED_CLIENT_IP_HEADER}"`);
  }
  let source: ClientAddressSource;
  if (header === 'x-forwarded-for') source = { header, hops: Math.floor(numberVar(env.TRUSTED_PROXY_HOPS, 1)) };
  else if (header === 'cf-connecting-ip' || header === 'x-real-ip') source = { header };
  else source = { header: null };
  parsed = { raw, source };
  return source;
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
