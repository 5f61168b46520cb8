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
 * Opens origin-gpu's libSQL database — a local file (`file:...`) or a
 * libSQL/Turso URL — and applies the committed drizzle-kit migrations.
 */
export async function openOriginDatabase(url: string, authToken?: string): Promise<{ db: OriginDatabase; client: Client }> {
  if (url.startsWith('file:')) await mkdir(dirname(url.slice('file:'.length)), { recursive: true });
  const client = createClient({ url, authToken });
  const db = drizzle(client, { schema });
  await migrate(db, { migrationsFolder: MIGRATIONS });
  return { db, client };
}
