// Signing and reading C2PA manifests with the Content Authenticity
// Initiative's own library (c2pa-rs compiled to wasm), run in Node.
import { sign as signBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import initWasm, { WasmBuilder, WasmReader } from '@contentauth/c2pa-wasm';
import { encode as encodeCbor } from 'cborg';
import type { OutputFormat } from '../sdk/index.js';
import type { C2paCredentials } from './certificates.js';

export const MIME_TYPES: Record<OutputFormat, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };

let wasmReady: Promise<void> | undefined;

/** Compiles the 9 MB wasm module once per process (about 70 ms); later calls share it. */
export function initC2pa(): Promise<void> {
  wasmReady ??= (async () => {
    const path = createRequire(import.meta.url).resolve('@contentauth/c2pa-wasm/c2pa.wasm');
    await initWasm({ module_or_path: await readFile(path) });
  })().catch((error: unknown) => {
    wasmReady = undefined; // a later setup may try again
    throw error;
  });
  return wasmReady;
}

/** The JSON manifest definition c2pa-rs's Builder takes (the fields Lumen uses). */
export interface ManifestDefinition {
  claim_generator_info: { name: string; version: string }[];
  title: string;
  format: string;
  assertions: { label: string; data: unknown }[];
}

// --- COSE_Sign1 (RFC 9052), built here because the wasm signer does not embed
// the certificates it is given: the callback must return the whole envelope.
const COSE_SIGN1_TAG = 0xd2; // CBOR tag 18
const COSE_ALG = 1;
const COSE_ALG_EDDSA = -8;
const COSE_X5CHAIN = 33;
const ED25519_SIGNATURE_BYTES = 64;
// Room kept in the reserved space so the envelope can always be padded to its exact size.
const PAD_SLACK = 32;

function coseSign1(protectedHeader: Uint8Array, signature: Uint8Array, padBytes: number): Uint8Array {
  const body = encodeCbor([protectedHeader, new Map([['pad', new Uint8Array(padBytes)]]), null, signature]);
  const tagged = new Uint8Array(body.length + 1);
  tagged[0] = COSE_SIGN1_TAG;
  tagged.set(body, 1);
  return tagged;
}

/** A c2pa-rs signer definition whose callback signs the claim with Ed25519 and returns a COSE_Sign1 of exactly `reserveSize` bytes. */
function coseSigner(credentials: C2paCredentials) {
  const protectedHeader = encodeCbor(new Map<number, unknown>([[COSE_ALG, COSE_ALG_EDDSA], [COSE_X5CHAIN, credentials.chain.map((der) => new Uint8Array(der))]]));
  const reserveSize = coseSign1(protectedHeader, new Uint8Array(ED25519_SIGNATURE_BYTES), 0).length + PAD_SLACK;
  return {
    alg: 'ed25519',
    reserveSize,
    sign: async (claim: Uint8Array): Promise<Uint8Array<ArrayBuffer>> => {
      // The signature covers the Sig_structure with the claim as detached payload (RFC 9052 §4.4).
      const toBeSigned = encodeCbor(['Signature1', protectedHeader, new Uint8Array(0), claim]);
      const signature = new Uint8Array(signBytes(null, toBeSigned, credentials.privateKey));
      // c2pa-rs patches the envelope into the space it reserved, so it must fill it exactly.
      let pad = reserveSize - coseSign1(protectedHeader, signature, 0).length;
      while (pad > 0 && coseSign1(protectedHeader, signature, pad).length > reserveSize) pad--;
      const envelope = coseSign1(protectedHeader, signature, pad);
      if (envelope.length !== reserveSize) throw new Error(`COSE envelope is ${envelope.length} bytes, ${reserveSize} were reserved`);
      return new Uint8Array(envelope);
    },
  };
}

// --- FileReaderSync. WasmBuilder.sign reads its source Blob through
// FileReaderSync, an API only browser workers have. For the length of one sign
// call (signing is serialised below) we provide one that hands back the bytes
// of our own in-memory blobs and refuses anything else; it is removed again
// afterwards so nothing else in the process sees a half-made browser API.
class BytesBlob extends Blob {
  constructor(readonly content: Uint8Array) {
    super([content]);
  }
  override slice(start = 0, end = this.content.length): BytesBlob {
    return new BytesBlob(this.content.subarray(start, end));
  }
}

class BytesBlobReader {
  readAsArrayBuffer(blob: unknown): ArrayBuffer {
    if (!(blob instanceof BytesBlob)) throw new TypeError('this FileReaderSync reads only the C2PA stage\'s own blobs');
    return blob.content.slice().buffer;
  }
}

type WithFileReaderSync = { FileReaderSync?: unknown };
let signing: Promise<unknown> = Promise.resolve();

/** Runs `work` with the FileReaderSync stand-in installed, one call at a time. */
function withFileReaderSync<T>(work: () => Promise<T>): Promise<T> {
  const run = signing.then(async () => {
    const global = globalThis as WithFileReaderSync;
    const previous = global.FileReaderSync;
    global.FileReaderSync = BytesBlobReader;
    try {
      return await work();
    } finally {
      if (previous === undefined) delete global.FileReaderSync;
      else global.FileReaderSync = previous;
    }
  });
  signing = run.catch(() => undefined);
  return run;
}

/** Embeds a signed manifest in `bytes` (PNG, JPEG or WebP); call {@link initC2pa} first. */
export function signManifest(bytes: Uint8Array, format: OutputFormat, definition: ManifestDefinition, credentials: C2paCredentials): Promise<Uint8Array> {
  return withFileReaderSync(async () => {
    const builder = WasmBuilder.fromJson(JSON.stringify(definition));
    try {
      return await builder.sign(coseSigner(credentials), [], MIME_TYPES[format], new BytesBlob(bytes));
    } finally {
      builder.free();
    }
  });
}

/** What a C2PA validator makes of an image, as c2pa-rs reports it. */
export interface ManifestReading {
  /** `none`: no manifest; `Invalid`: it fails validation; `Valid`: intact but not from a trusted signer; `Trusted`: intact and signed under a trust anchor. */
  readonly state: 'none' | 'Invalid' | 'Valid' | 'Trusted';
  /** The active manifest as c2pa-rs's JSON (claim_generator_info, assertions, signature_info, …). */
  readonly manifest?: ActiveManifest;
  /** The validation failures' codes, e.g. `assertion.dataHash.mismatch`. */
  readonly failures: readonly string[];
}

export interface ActiveManifest {
  claim_generator_info?: { name: string; version?: string }[];
  title?: string;
  assertions?: { label: string; data: unknown }[];
  signature_info?: { alg?: string; issuer?: string; common_name?: string };
}

interface ReaderJson {
  active_manifest?: string;
  manifests?: Record<string, ActiveManifest>;
  validation_state?: 'Invalid' | 'Valid' | 'Trusted';
  validation_results?: { activeManifest?: { failure?: { code: string }[] } };
}

/**
 * Reads and validates the manifest in `bytes`. With `trustAnchorPem` (one or
 * more PEM roots), a manifest signed under one of them reads as `Trusted`.
 */
export async function readManifest(bytes: Uint8Array, format: OutputFormat, trustAnchorPem?: string): Promise<ManifestReading> {
  await initC2pa();
  const context = trustAnchorPem ? JSON.stringify({ trust: { trust_anchors: trustAnchorPem } }) : undefined;
  let reader: WasmReader;
  try {
    reader = await WasmReader.fromBytes(MIME_TYPES[format], bytes, context);
  } catch (error) {
    if (String(error).includes('JumbfNotFound')) return { state: 'none', failures: [] };
    throw error;
  }
  try {
    const store = JSON.parse(reader.json()) as ReaderJson;
    const manifest = store.active_manifest ? store.manifests?.[store.active_manifest] : undefined;
    return {
      state: store.validation_state ?? 'Invalid',
      ...(manifest && { manifest }),
      failures: (store.validation_results?.activeManifest?.failure ?? []).map((failure) => failure.code),
    };
  } finally {
    reader.free();
  }
}
