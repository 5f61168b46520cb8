import { createHash } from 'node:crypto';
import { desc, eq } from 'drizzle-orm';
import { canonicalJson } from '../../protocol/canonical-json.js';
import type { ProvenanceVerification } from '../../protocol/public-api.js';
import type { EncodedImage, Stage, TokenGrid } from '../../plugins/sdk/index.js';
import { outputTokens, provenanceKeys, provenanceRecords, type ProvenanceRecordRow } from '../../schema/origin.js';
import type { OriginDatabase } from '../db.js';
import { decodeImage } from '../images/decode-image.js';
import type { Pipeline } from '../pipeline/registry.js';
import { payloadIsValid, payloadKey, tenantTag } from './payload.js';
import { verifySignature, type SigningKey } from './signer.js';

/** What a provenance record says, signed with the deployment's Ed25519 key. */
export interface ProvenanceRecord {
  v: 1;
  issuer: 'lumen';
  /** sha256 of the image bytes as delivered, hex. */
  sha256: string;
  /** The 64-bit watermark payload, hex. */
  watermark: string;
  jobId: string;
  imageIndex: number;
  /** First 16 bits of sha256(tenant id), hex: the same tag the watermark carries. */
  tenantTag: string;
  format: EncodedImage['format'];
  /** The decode stages that rendered it. */
  model: string;
  /** Every stage of the pipeline, in run order. */
  plugins: { name: string; kind: string }[];
  keyId: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

/** The answer of POST /v1/provenance/verify, as the gateway relays it (its schema is in protocol/, for /openapi.json). */
export type Verification = ProvenanceVerification;

const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Signs and stores a record for every delivered image, and answers "did we make this?". */
export class ProvenanceRegistry {
  readonly #db: OriginDatabase;
  readonly #key: SigningKey;
  readonly #pipeline: Pipeline;

  constructor(db: OriginDatabase, key: SigningKey, pipeline: Pipeline) {
    this.#db = db;
    this.#key = key;
    this.#pipeline = pipeline;
  }

  /** Publishes this origin's public key (idempotent), so records it signs can be checked by anyone. */
  async publishKey(): Promise<void> {
    await this.#db
      .insert(provenanceKeys)
      .values({ keyId: this.#key.keyId, publicKey: this.#key.publicKey, createdAt: Date.now() })
      .onConflictDoNothing();
  }

  async publicKeys(): Promise<{ keyId: string; publicKey: string; createdAt: number }[]> {
    return this.#db.select().from(provenanceKeys).orderBy(desc(provenanceKeys.createdAt));
  }

  /**
   * Signs and stores the record of one image before it is delivered, with
   * its prompt and tokens so an edit of these very bytes can reuse them.
   */
  async record(image: {
    jobId: string;
    imageIndex: number;
    tenantId: string;
    payload: Uint8Array;
    encoded: EncodedImage;
    prompt: string;
    seed: number;
    grid: TokenGrid;
  }): Promise<ProvenanceRecord> {
    const record: ProvenanceRecord = {
      v: 1,
      issuer: 'lumen',
      sha256: sha256Hex(image.encoded.bytes),
      watermark: Buffer.from(image.payload).toString('hex'),
      jobId: image.jobId,
      imageIndex: image.imageIndex,
      tenantTag: Buffer.from(tenantTag(image.tenantId)).toString('hex'),
      format: image.encoded.format,
      model: this.#pipeline.byKind('decode').map((stage) => stage.name).join('+'),
      plugins: this.#pipeline.stages.map((stage) => ({ name: stage.name, kind: stage.kind })),
      keyId: this.#key.keyId,
      createdAt: Date.now(),
    };
    const text = canonicalJson(record);
    // A re-run of the same job renders the same pixels; unsigned, the same bytes too, and the first record stands.
    // With a C2PA manifest (random salts) each run's file gets its own record, all found by the one watermark payload.
    await this.#db
      .insert(provenanceRecords)
      .values({
        sha256: record.sha256,
        payloadKey: payloadKey(image.payload),
        jobId: record.jobId,
        imageIndex: record.imageIndex,
        tenantId: image.tenantId,
        record: text,
        signature: this.#key.sign(text),
        keyId: record.keyId,
        createdAt: record.createdAt,
      })
      .onConflictDoNothing();
    const { grid } = image;
    await this.#db
      .insert(outputTokens)
      .values({
        sha256: record.sha256,
        tenantId: image.tenantId,
        prompt: image.prompt,
        seed: image.seed,
        rows: grid.rows,
        cols: grid.cols,
        codebookSize: grid.codebookSize,
        tokens: Buffer.from(grid.tokens.buffer, grid.tokens.byteOffset, grid.tokens.byteLength),
        scene: grid.scene ?? null,
        createdAt: record.createdAt,
      })
      .onConflictDoNothing();
    return record;
  }

  /** The prompt and tokens behind `bytes`, when they are exactly one of `tenantId`'s outputs. */
  async editSource(bytes: Uint8Array, tenantId: string): Promise<{ prompt: string; seed: number; grid: TokenGrid } | null> {
    const [row] = await this.#db.select().from(outputTokens).where(eq(outputTokens.sha256, sha256Hex(bytes))).limit(1);
    if (!row || row.tenantId !== tenantId) return null;
    const tokens = new Int32Array(row.tokens.buffer.slice(row.tokens.byteOffset, row.tokens.byteOffset + row.tokens.byteLength));
    const grid: TokenGrid = { rows: row.rows, cols: row.cols, codebookSize: row.codebookSize, tokens, ...(row.scene !== null && { scene: row.scene }) };
    return { prompt: row.prompt, seed: row.seed, grid };
  }

  /**
   * Answers whether this service made `bytes`, for `tenantId`: an exact hash
   * match first, else the watermark read by every watermark stage that can
   * detect. Throws BadImageError for input that is not a usable image.
   */
  async verify(bytes: Uint8Array, tenantId: string): Promise<Verification> {
    const image = await decodeImage(bytes);
    const sha256 = sha256Hex(bytes);
    const [exact] = await this.#db.select().from(provenanceRecords).where(eq(provenanceRecords.sha256, sha256)).limit(1);

    let watermark: Verification['watermark'] = { detected: false };
    let found: ProvenanceRecordRow | undefined;
    for (const stage of this.#pipeline.byKind('watermark') as readonly Stage<'watermark'>[]) {
      if (!stage.detect) continue;
      for (const candidate of await stage.detect(image)) {
        if (!payloadIsValid(candidate.payload)) continue;
        watermark = { detected: true, confidence: round(candidate.confidence), ...(candidate.scale !== undefined && { scale: round(candidate.scale) }) };
        const rows = await this.#db.select().from(provenanceRecords).where(eq(provenanceRecords.payloadKey, payloadKey(candidate.payload)));
        // 48 bits rarely collide; when they do, the owner's record is the useful one.
        found = rows.find((row) => row.tenantId === tenantId) ?? rows[0];
        break;
      }
      if (watermark.detected) break;
    }

    const row = exact ?? found;
    const result: Verification = {
      object: 'provenance.verification',
      made_by_lumen: Boolean(exact) || watermark.detected,
      match: exact ? 'exact' : watermark.detected ? 'watermark' : 'none',
      watermark,
    };
    if (row && row.tenantId === tenantId) {
      const record = JSON.parse(row.record) as ProvenanceRecord;
      const [key] = await this.#db.select().from(provenanceKeys).where(eq(provenanceKeys.keyId, row.keyId)).limit(1);
      result.record = {
        job_id: row.jobId,
        image_index: row.imageIndex,
        created_at: Math.floor(record.createdAt / 1000),
        model: record.model,
        plugins: record.plugins,
        key_id: row.keyId,
        signature_valid: key ? verifySignature(row.record, row.signature, key.publicKey) : false,
        sha256_matches: record.sha256 === sha256,
      };
    }
    return result;
  }
}

const round = (value: number) => Math.round(value * 1000) / 1000;
