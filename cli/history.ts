// The jobs this machine's CLI started, so `lumen jobs` can list them: the API has
// no endpoint that lists a tenant's jobs. One JSON line per job, newest last.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface HistoryEntry {
  id: string;
  base_url: string;
  kind: 'generation' | 'edit';
  prompt: string;
  created_at: number;
}

export function historyFile(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'lumen', 'jobs.jsonl');
}

/** Best effort: a read-only home must not fail a generation that already succeeded on the server. */
export async function recordJob(file: string, entry: HistoryEntry): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true });
    await appendFile(file, `${JSON.stringify(entry)}\n`);
  } catch {
    // Only `lumen jobs` without an id reads this file.
  }
}

/** The newest `limit` jobs recorded for `baseUrl`, newest first. */
export async function recentJobs(file: string, baseUrl: string, limit: number): Promise<HistoryEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return [];
  }
  const entries: HistoryEntry[] = [];
  for (const line of text.split('\n')) {
    try {
      const entry = JSON.parse(line) as HistoryEntry;
      if (entry.base_url === baseUrl && typeof entry.id === 'string') entries.push(entry);
    } catch {
      // A torn last line from an interrupted write.
    }
  }
  return entries.reverse().slice(0, limit);
}
