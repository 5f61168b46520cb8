import { createHash } from 'node:crypto';
import { WATERMARK_PAYLOAD_BYTES } from '../../plugins/sdk/index.js';

const sha256 = (...parts: (string | Uint8Array)[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

function checksum(head: Uint8Array): Uint8Array {
  return sha256(head, 'lumen-provenance').subarray(0, 2);
}

export function tenantTag(tenantId: string): Uint8Array {
  return sha256(tenantId).subarray(0, 2);
}

/**
 * The 64-bit watermark payload of one image:
 *   bytes 0–3  image id: the first 32 bits of sha256(`${jobId}#${imageIndex}`)
 *   bytes 4–5  tenant: the first 16 bits of sha256(tenantId)
 *   bytes 6–7  checksum over bytes 0–5, so a random reading almost never passes
 * The registry is looked up by bytes 0–5; the signed record settles the rest.
 */
export function payloadForImage(jobId: string, imageIndex: number, tenantId: string): Uint8Array {
  const head = new Uint8Array(6);
  head.set(sha256(`${jobId}#${imageIndex}`).subarray(0, 4), 0);
  head.set(tenantTag(tenantId), 4);
  const payload = new Uint8Array(WATERMARK_PAYLOAD_BYTES);
  payload.set(head, 0);
  payload.set(checksum(head), 6);
  return payload;
}

/** The payload of each of a job's `n` images, in order: what the host hands `runJob` and records in its registry. */
export function payloadsForJob(jobId: string, n: number, tenantId: string): Uint8Array[] {
  return Array.from({ length: n }, (_, imageIndex) => payloadForImage(jobId, imageIndex, tenantId));
}

/** True when the last two bytes are the checksum of the first six. */
export function payloadIsValid(payload: Uint8Array): boolean {
  if (payload.length !== WATERMARK_PAYLOAD_BYTES) return false;
  const check = checksum(payload.subarray(0, 6));
  return payload[6] === check[0] && payload[7] === check[1];
}

/** The registry's lookup key: the 48 bits before the checksum, as hex. */
export function payloadKey(payload: Uint8Array): string {
  return Buffer.from(payload.subarray(0, 6)).toString('hex');
}
