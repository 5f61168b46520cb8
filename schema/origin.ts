// Tables of origin-gpu's libSQL database: a local file by default, or a
// libSQL/Turso URL shared by every origin worker in production.
import { blob, index, integer, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** One attempt of one job on one worker. */
export const runs = sqliteTable(
  'runs',
  {
    id: text('id').primaryKey(),
    jobId: text('job_id').notNull(),
    attempt: integer('attempt').notNull(),
    workerId: text('worker_id').notNull(),
    status: text('status', { enum: ['running', 'succeeded', 'failed', 'aborted'] }).notNull(),
    /** The pass the run started from (0 for a fresh job, k when resumed after pass k). */
    resumedFromPass: integer('resumed_from_pass').notNull().default(0),
    passesDone: integer('passes_done').notNull().default(0),
    images: integer('images').notNull(),
    width: integer('width').notNull(),
    height: integer('height').notNull(),
    wallMs: real('wall_ms'),
    onnxMs: real('onnx_ms'),
    error: text('error'),
    startedAt: integer('started_at').notNull(),
    finishedAt: integer('finished_at'),
  },
  (table) => [index('runs_by_job').on(table.jobId)],
);

export type RunRow = typeof runs.$inferSelect;

/** Every safety verdict: the prompt check (pass 0) and each output check of each pass. */
export const safetyVerdicts = sqliteTable(
  'safety_verdicts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    jobId: text('job_id').notNull(),
    tenantId: text('tenant_id').notNull(),
    attempt: integer('attempt').notNull(),
    stage: text('stage', { enum: ['input', 'output'] }).notNull(),
    /** The safety plugin that gave the verdict. */
    plugin: text('plugin').notNull(),
    allowed: integer('allowed', { mode: 'boolean' }).notNull(),
    /** The blocked category; null when allowed. */
    category: text('category'),
    score: real('score'),
    pass: integer('pass').notNull(),
    imageIndex: integer('image_index').notNull(),
    /** For a block: passes not rendered because of it, and their estimated compute. */
    passesSkipped: integer('passes_skipped'),
    savedMs: real('saved_ms'),
    createdAt: integer('created_at').notNull(),
  },
  (table) => [index('verdicts_by_time').on(table.createdAt), index('verdicts_by_job').on(table.jobId)],
);

export type SafetyVerdictRow = typeof safetyVerdicts.$inferSelect;

/** The signed provenance record of every image the service made. */
export const provenanceRecords = sqliteTable(
  'provenance_records',
  {
    /** sha256 of the image as delivered, hex. */
    sha256: text('sha256').primaryKey(),
    /** The first 48 bits of the watermark payload (before its checksum), hex: how a re-encoded copy is found. */
    payloadKey: text('payload_key').notNull(),
    jobId: text('job_id').notNull(),
    imageIndex: integer('image_index').notNull(),
    tenantId: text('tenant_id').notNull(),
    /** The canonical JSON that was signed. */
    record: text('record').notNull(),
    /** Ed25519 signature of `record`, base64url. */
    signature: text('signature').notNull(),
    keyId: text('key_id').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (table) => [index('provenance_by_payload').on(table.payloadKey)],
);

export type ProvenanceRecordRow = typeof provenanceRecords.$inferSelect;

/** Public keys that have signed provenance records, published at /.well-known/lumen-provenance.json. */
export const provenanceKeys = sqliteTable('provenance_keys', {
  keyId: text('key_id').primaryKey(),
  /** Raw 32-byte Ed25519 public key, base64url. */
  publicKey: text('public_key').notNull(),
  createdAt: integer('created_at').notNull(),
});

/**
 * The prompt and final token grid of every delivered image, keyed like its
 * provenance record: an edit that uploads one of the tenant's own outputs
 * reuses these tokens instead of encoding the pixels.
 */
export const outputTokens = sqliteTable('output_tokens', {
  sha256: text('sha256').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  prompt: text('prompt').notNull(),
  /** The seed it was rendered with. */
  seed: integer('seed').notNull(),
  rows: integer('rows').notNull(),
  cols: integer('cols').notNull(),
  codebookSize: integer('codebook_size').notNull(),
  /** Int32 little-endian. */
  tokens: blob('tokens', { mode: 'buffer' }).notNull(),
  /** TokenGrid.scene, when the tokenizer attached one. */
  scene: text('scene'),
  createdAt: integer('created_at').notNull(),
});
