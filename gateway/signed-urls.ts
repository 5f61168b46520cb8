// Signed, expiring links to stored images (`response_format: "url"`).
import type { Env } from './env.js';
import { constantTimeEqual, hmacHex } from '../protocol/signature.js';

export const SIGNED_URL_TTL_SECONDS = 60 * 60;

function signingSecret(env: Env): string {
  return env.URL_SIGNING_SECRET ?? `url-signing:${env.ORIGIN_SECRET}`;
}

/** An absolute URL to R2 object `key`, valid for `ttlSeconds`. */
export async function signImageUrl(env: Env, origin: string, key: string, ttlSeconds = SIGNED_URL_TTL_SECONDS, now = Date.now()): Promise<string> {
  const expires = Math.floor(now / 1000) + ttlSeconds;
  const signature = await hmacHex(signingSecret(env), `${key}\n${expires}`);
  return `${origin}/v1/files/${key.split('/').map(encodeURIComponent).join('/')}?expires=${expires}&signature=${signature}`;
}

export type SignedUrlCheck = { ok: true } | { ok: false; reason: 'expired' | 'invalid' };

export async function verifyImageUrl(env: Env, key: string, expires: string | undefined, signature: string | undefined, now = Date.now()): Promise<SignedUrlCheck> {
  if (!expires || !signature || !/^\d{1,12}$/.test(expires)) return { ok: false, reason: 'invalid' };
  const expected = await hmacHex(signingSecret(env), `${key}\n${expires}`);
  if (!constantTimeEqual(expected, signature.toLowerCase())) return { ok: false, reason: 'invalid' };
  if (Number(expires) * 1000 < now) return { ok: false, reason: 'expired' };
  return { ok: true };
}
