import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from '@libsql/client';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import * as schema from '../schema/origin.js';

export type OriginDatabase = LibSQLDatabase<typeof schema>;

const MIGRATIONS = fileURLToPath(new URL('../schema/migrations/origin', import.meta.url));

/**
 * How long a statement on a local file waits for another connection's lock
 * before failing with SQLITE_BUSY. Origins, their API and operators' tools
 * share one file, and libSQL's default is not to wait at all. The wait is
 * synchronous (it blocks the event loop), which is why origin code never holds
 * a transaction open across an await: only another process can hold the lock.
 */
const BUSY_TIMEOUT_MS = 5_000;

/** A libSQL client for origin-gpu's database (a local file or a remote URL), waiting out other writers' locks. */
export function connectLibsql(url: string, authToken?: string): Client {
  return createClient({ url, authToken, timeout: BUSY_TIMEOUT_MS });
}

/**
 * Opens origin-gpu's libSQL database — a local file (`file:...`) or a
 * libSQL/Turso URL — and applies the committed drizzle-kit migrations.
 */
export async function openOriginDatabase(url: string, authToken?: string): Promise<{ db: OriginDatabase; client: Client }> {
  if (url.startsWith('file:')) await mkdir(dirname(url.slice('file:'.length)), { recursive: true });
  const client = connectLibsql(url, authToken);
  const db = drizzle(client, { schema });
  await migrate(db, { migrationsFolder: MIGRATIONS });
  return { db, client };
}
