// Tables of origin-gpu's libSQL database: a local file by default, or a
// libSQL/Turso URL shared by every origin worker in production.
import { index, integer, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

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
