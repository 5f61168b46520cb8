// The certificate chain C2PA manifests are signed with: a self-made root CA and
// an Ed25519 leaf with the key usage C2PA validators require (digitalSignature,
// EKU emailProtection, not a CA). @peculiar/x509 builds the certificates, since
// Node's crypto parses X.509 but cannot issue it; Node's X509Certificate checks
// a loaded chain.
import 'reflect-metadata'; // @peculiar/x509 (through tsyringe) needs it loaded first
import { createPrivateKey, createPublicKey, webcrypto, X509Certificate, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/** What the stage signs with. */
export interface C2paCredentials {
  /** DER certificates, the signing leaf first, then its issuers up to the root. */
  readonly chain: readonly Uint8Array[];
  /** The leaf's Ed25519 private key. */
  readonly privateKey: KeyObject;
  /** The root certificate (PEM): the trust anchor a validator needs to call our manifests trusted. */
  readonly trustAnchorPem: string;
}

/** The same chain as text: what the host keeps in its files or secret store. */
export interface C2paCredentialFiles {
  /** PEM certificates, leaf first, root last. */
  readonly certificatesPem: string;
  /** The leaf's private key, PKCS#8 PEM. */
  readonly privateKeyPem: string;
}

/** C2PA's list of acceptable extended key usages includes id-kp-emailProtection, which needs no CA vendor's blessing. */
const EMAIL_PROTECTION = '1.3.6.1.5.5.7.3.4';
const ED25519 = { name: 'Ed25519' } as const;
const DAY_MS = 86_400_000;

/**
 * Makes a new root CA and a leaf signing certificate under it, both Ed25519,
 * valid for `validDays` (default ten years; a manifest is validated against
 * the current time, as it carries no timestamp). The root's private key is
 * not kept: nothing else is ever issued under it.
 */
export async function createCredentialFiles({ organization = 'Lumen', validDays = 3650 } = {}): Promise<C2paCredentialFiles> {
  x509.cryptoProvider.set(globalThis.crypto);
  const notBefore = new Date(Date.now() - DAY_MS);
  const notAfter = new Date(Date.now() + validDays * DAY_MS);
  const rootKeys = (await webcrypto.subtle.generateKey(ED25519, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${organization} C2PA root, O=${organization}`,
    notBefore,
    notAfter,
    signingAlgorithm: ED25519,
    keys: rootKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const leafKeys = (await webcrypto.subtle.generateKey(ED25519, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${organization} image signer, O=${organization}`,
    issuer: root.subject,
    notBefore,
    notAfter,
    signingAlgorithm: ED25519,
    publicKey: leafKeys.publicKey,
    signingKey: rootKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([EMAIL_PROTECTION], false),
      await x509.AuthorityKeyIdentifierExtension.create(rootKeys.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey));
  return {
    certificatesPem: `${leaf.toString('pem')}\n${root.toString('pem')}\n`,
    privateKeyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
  };
}

/** A positive 16-byte serial, hex (RFC 5280 wants them unique per issuer). */
function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

/**
 * Parses and checks a chain: every certificate issued and signed by the next,
 * the last one self-signed, all valid now, and the key belonging to the leaf.
 * Throws with a message that says which of these failed.
 */
export function parseCredentials({ certificatesPem, privateKeyPem }: C2paCredentialFiles): C2paCredentials {
  const ders = x509.PemConverter.decode(certificatesPem).map((buffer) => new Uint8Array(buffer));
  if (ders.length < 2) throw new Error(`the C2PA certificate file holds ${ders.length} certificate(s); it needs the signing certificate followed by its root`);
  const certificates = ders.map((der) => new X509Certificate(der));
  const now = Date.now();
  certificates.forEach((certificate, i) => {
    const issuer = certificates[i + 1] ?? certificate;
    if (!certificate.checkIssued(issuer) || !certificate.verify(issuer.publicKey)) {
      throw new Error(`C2PA certificate ${i + 1} (${certificate.subject}) is not signed by the certificate after it; list the leaf first and the root last`);
    }
    if (Date.parse(certificate.validTo) < now || Date.parse(certificate.validFrom) > now) {
      throw new Error(`C2PA certificate ${i + 1} (${certificate.subject}) is valid only from ${certificate.validFrom} to ${certificate.validTo}; make a new chain`);
    }
  });
  const privateKey = createPrivateKey(privateKeyPem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`the C2PA signing key must be Ed25519, got ${privateKey.asymmetricKeyType}`);
  const spki = (key: KeyObject) => key.export({ format: 'der', type: 'spki' });
  if (!spki(createPublicKey(privateKey)).equals(spki(certificates[0]!.publicKey))) {
    throw new Error('the C2PA signing key does not belong to the first certificate of the chain');
  }
  return { chain: ders, privateKey, trustAnchorPem: certificates.at(-1)!.toString() };
}
