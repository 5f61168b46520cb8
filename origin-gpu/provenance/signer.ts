import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** An Ed25519 key that signs provenance records. */
export interface SigningKey {
  /** First 16 hex digits of sha256(raw public key): names the key in records and the published key set. */
  readonly keyId: string;
  /** Raw 32-byte public key, base64url. */
  readonly publicKey: string;
  sign(message: string): string;
}

function rawPublicKey(key: KeyObject): Buffer {
  // The JWK form of an Ed25519 key holds exactly the raw 32 bytes in `x`.
  const { x } = key.export({ format: 'jwk' });
  if (!x) throw new Error('not an Ed25519 key');
  return Buffer.from(x, 'base64url');
}

function fromPrivateKey(privateKey: KeyObject): SigningKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`provenance key must be Ed25519, got ${privateKey.asymmetricKeyType}`);
  const raw = rawPublicKey(createPublicKey(privateKey));
  return {
    keyId: createHash('sha256').update(raw).digest('hex').slice(0, 16),
    publicKey: raw.toString('base64url'),
    sign: (message) => sign(null, Buffer.from(message), privateKey).toString('base64url'),
  };
}

/**
 * The signing key: `pem` (a PKCS#8 PEM, e.g. from a secret store) when given,
 * else the file at `path`, created with a new key (mode 0600) on first use so
 * a laptop install needs no set-up. Every origin of one deployment must share it.
 */
export async function loadSigningKey({ pem, path }: { pem?: string; path: string }): Promise<SigningKey> {
  if (pem) return fromPrivateKey(createPrivateKey(pem));
  try {
    return fromPrivateKey(createPrivateKey(await readFile(path, 'utf8')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  await mkdir(dirname(path), { recursive: true });
  // 'wx' fails if another origin created the file meanwhile; then that one's key wins.
  try {
    await writeFile(path, privateKey.export({ format: 'pem', type: 'pkcs8' }), { flag: 'wx', mode: 0o600 });
    await chmod(path, 0o600);
    return fromPrivateKey(privateKey);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return fromPrivateKey(createPrivateKey(await readFile(path, 'utf8')));
  }
}

/** Checks an Ed25519 signature (base64url) of `message` against a raw public key (base64url). */
export function verifySignature(message: string, signature: string, publicKey: string): boolean {
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey }, format: 'jwk' });
  try {
    return verify(null, Buffer.from(message), key, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}
