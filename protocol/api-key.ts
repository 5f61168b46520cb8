// The secret part of an API key (`lk_<tenant>_<secret><tag>`, see gateway/keys.ts),
// minted by the gateway and by scripts that seed dev keys.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

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
