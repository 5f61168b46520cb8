import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createCredentialFiles, parseCredentials, type C2paCredentials } from '../../plugins/c2pa-manifest/index.js';

export interface C2paCredentialSources {
  /** PEM certificates (leaf first, root last), e.g. from a secret store; used with `keyPem` instead of the files. */
  certificatesPem?: string | undefined;
  /** The leaf's PKCS#8 PEM private key. */
  keyPem?: string | undefined;
  certificatesPath: string;
  keyPath: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates `path` with `text` only if it does not exist yet, in one step (link fails on an existing name). */
async function createExclusive(path: string, text: string, mode: number): Promise<boolean> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, text, { mode });
  await chmod(temporary, mode);
  try {
    await link(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}

async function readBoth(certificatesPath: string, keyPath: string): Promise<C2paCredentials> {
  return parseCredentials({ certificatesPem: await readFile(certificatesPath, 'utf8'), privateKeyPem: await readFile(keyPath, 'utf8') });
}

/**
 * The chain C2PA manifests are signed with, like the provenance key: the PEMs
 * when given, else the two files, created with a new root and leaf on first
 * start so a laptop install needs no set-up. Every origin of a deployment
 * must share them, so that one root vouches for every image.
 */
export async function loadC2paCredentials({ certificatesPem, keyPem, certificatesPath, keyPath }: C2paCredentialSources): Promise<C2paCredentials> {
  if (certificatesPem || keyPem) {
    if (!certificatesPem || !keyPem) throw new Error('LUMEN_C2PA_CERT and LUMEN_C2PA_KEY go together: set both or neither.');
    return parseCredentials({ certificatesPem, privateKeyPem: keyPem });
  }
  try {
    return await readBoth(certificatesPath, keyPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const files = await createCredentialFiles();
  await mkdir(dirname(keyPath), { recursive: true });
  await mkdir(dirname(certificatesPath), { recursive: true });
  // The key file decides which of several origins starting at once wins; the
  // certificates follow it, so the loser waits briefly for them to appear.
  if (await createExclusive(keyPath, files.privateKeyPem, 0o600)) {
    await createExclusive(certificatesPath, files.certificatesPem, 0o644);
    return readBoth(certificatesPath, keyPath);
  }
  for (let attempt = 0; ; attempt++) {
    try {
      return await readBoth(certificatesPath, keyPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 50) throw error;
      await sleep(100);
    }
  }
}
