import type { Logger } from '../plugins/sdk/index.js';

type Level = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** JSON-lines logger; `LUMEN_LOG_LEVEL` sets the threshold (default info). */
export function createLogger(bindings: Record<string, unknown> = {}, threshold: Level = (process.env.LUMEN_LOG_LEVEL as Level) ?? 'info'): Logger & {
  child(fields: Record<string, unknown>): Logger;
} {
  const min = LEVELS[threshold] ?? LEVELS.info;
  const write = (level: Level) => (message: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < min) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level, message, ...bindings, ...fields });
    (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(line + '\n');
  };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (fields) => createLogger({ ...bindings, ...fields }, threshold),
  };
}
