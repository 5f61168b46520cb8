import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'turso',
  schema: './schema/origin.ts',
  out: './schema/migrations/origin',
  dbCredentials: { url: process.env.LUMEN_DB_URL ?? 'file:.lumen/origin.db' },
});
