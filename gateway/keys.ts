// API keys look like `lk_<tenant id>_<secret><tag>`: the tenant id routes straight to
// the tenant's Durable Object, so verifying a key needs no lookup table. The tag is
// an HMAC of the tenant id and secret under KEY_SIGNING_SECRET, so the gateway can
// tell a key it minted from a made-up one before any Durable Object (and its
// storage) is touched: a made-up tenant id never creates a Tenant object.
import { constantTimeEqual, hmacHex } from '../protocol/signature.js';

const KEY = /^lk_([a-z0-9]{3,32})_([A-Za-z0-9]{32})([0-9a-f]{16})$/;
/** Keys minted before keys were tagged: still recognised, to tell their holders what to do. */
const UNTAGGED_KEY = /^lk_[a-z0-9]{3,32}_[A-Za-z0-9]{32}$/;
export const TENANT_ID = /^[a-z0-9]{3,32}$/;
/** Hex characters of the tag: 64 bits, far beyond guessing at any request rate. */
const TAG_LENGTH = 16;
/** The longest header value worth parsing; anything longer is refused unread. */
export const MAX_AUTHORIZATION_LENGTH = 128;

/** The part of Env that keys need; spelled out so Node tooling (scripts/) can import this file without Workers types. */
export interface KeySigningEnv {
  KEY_SIGNING_SECRET?: string;
  ORIGIN_SECRET: string;
}

export interface ParsedKey {
  tenantId: string;
  /** The part the Tenant object stores the hash of. */
  secret: string;
  tag: string;
}

export function parseKey(key: string): ParsedKey | null {
  const match = KEY.exec(key);
  if (!match?.[1] || !match[2] || !match[3]) return null;
  return { tenantId: match[1], secret: match[2], tag: match[3] };
}

/** Whether `key` has the shape of a key minted before tags (refused, with advice to get a new one). */
export function isUntaggedKey(key: string): boolean {
  return UNTAGGED_KEY.test(key);
}


function keySigningSecret(env: KeySigningEnv): string {
  return env.KEY_SIGNING_SECRET ?? `key-signing:${env.ORIGIN_SECRET}`;
}

async function tagOf(env: KeySigningEnv, tenantId: string, secret: string): Promise<string> {
  return (await hmacHex(keySigningSecret(env), `${tenantId}\n${secret}`)).slice(0, TAG_LENGTH);
}

/** The full key for a tenant's secret: the same secret and signing secret always give the same key. */
export async function formatKey(env: KeySigningEnv, tenantId: string, secret: string): Promise<string> {
  return `lk_${tenantId}_${secret}${await tagOf(env, tenantId, secret)}`;
}

/** Whether this gateway minted the key (its tag is right). One HMAC, no Durable Object. */
export async function hasValidTag(env: KeySigningEnv, key: ParsedKey): Promise<boolean> {
  return constantTimeEqual(await tagOf(env, key.tenantId, key.secret), key.tag);
}
