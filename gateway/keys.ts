// API keys look like `lk_<tenant id>_<secret>`: the tenant id routes straight to
// the tenant's Durable Object, so verifying a key needs no lookup table.

const KEY = /^lk_([a-z0-9]{3,32})_([A-Za-z0-9]{32})$/;
export const TENANT_ID = /^[a-z0-9]{3,32}$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** The longest header value worth parsing; anything longer is refused unread. */
export const MAX_AUTHORIZATION_LENGTH = 128;

export interface ParsedKey {
  tenantId: string;
  secret: string;
}

export function parseKey(key: string): ParsedKey | null {
  const match = KEY.exec(key);
  if (!match?.[1] || !match[2]) return null;
  return { tenantId: match[1], secret: match[2] };
}

/** A new 32-character secret from 190 random bits (rejection sampling keeps it unbiased). */
export function newSecret(): string {
  let secret = '';
  while (secret.length < 32) {
    for (const byte of crypto.getRandomValues(new Uint8Array(48))) {
      if (byte < 248 && secret.length < 32) secret += ALPHABET[byte % 62];
    }
  }
  return secret;
}

export function formatKey(tenantId: string, secret: string): string {
  return `lk_${tenantId}_${secret}`;
}
