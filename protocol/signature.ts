// HMAC signing of the internal API between origin workers and the gateway.
// Plain WebCrypto so the same module runs in workerd and in Node.

const encoder = new TextEncoder();

/** Signatures older or newer than this are refused, which bounds replay. */
export const SIGNATURE_MAX_SKEW_MS = 5 * 60_000;

export const SIGNATURE_HEADERS = { timestamp: 'x-lumen-timestamp', signature: 'x-lumen-signature' } as const;

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** Lowercase hex of the bytes. */
export function bytesToHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let hex = '';
  for (const byte of view) hex += HEX[byte];
  return hex;
}


export async function sha256Hex(data: string | Uint8Array | ArrayBuffer): Promise<string> {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data;
  return bytesToHex(await crypto.subtle.digest('SHA-256', bytes));
}

/** Hex HMAC-SHA256 of `message`. */
export async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return bytesToHex(await crypto.subtle.sign('HMAC', key, encoder.encode(message)));
}

async function canonical(timestamp: string, method: string, pathAndQuery: string, body: Uint8Array | ArrayBuffer): Promise<string> {
  return `${timestamp}\n${method.toUpperCase()}\n${pathAndQuery}\n${await sha256Hex(body)}`;
}

/** Headers that authenticate one internal request. */
export async function signInternalRequest(
  secret: string,
  method: string,
  pathAndQuery: string,
  body: Uint8Array | ArrayBuffer,
  now = Date.now(),
): Promise<Record<string, string>> {
  const timestamp = String(now);
  return {
    [SIGNATURE_HEADERS.timestamp]: timestamp,
    [SIGNATURE_HEADERS.signature]: await hmacHex(secret, await canonical(timestamp, method, pathAndQuery, body)),
  };
}

/** Compares in constant time for equal lengths; lengths are not secret here (hex of fixed-size digests). */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

export async function verifyInternalRequest(
  secret: string,
  method: string,
  pathAndQuery: string,
  body: Uint8Array | ArrayBuffer,
  timestamp: string | undefined,
  signature: string | undefined,
  now = Date.now(),
): Promise<boolean> {
  if (!timestamp || !signature || !/^\d{1,16}$/.test(timestamp)) return false;
  if (Math.abs(now - Number(timestamp)) > SIGNATURE_MAX_SKEW_MS) return false;
  const expected = await hmacHex(secret, await canonical(timestamp, method, pathAndQuery, body));
  return constantTimeEqual(expected, signature.toLowerCase());
}
