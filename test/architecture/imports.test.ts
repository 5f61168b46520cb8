// The layout's import rules (docs/ARCHITECTURE.md, "The map"), checked on the
// real source: every relative import of every TypeScript file is resolved and
// judged against the rules, so a change that crosses a boundary fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCE_FOLDERS = ['protocol', 'cli', 'gateway', 'origin-gpu', 'plugins', 'schema', 'scripts', 'bench'];

/** Relative specifiers of static imports, re-exports and dynamic imports. */
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'";]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|(?:^|[\s;])import\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/gm;

interface ImportEdge {
  from: string;
  to: string;
}

function sourceFiles(folder: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(ROOT, folder), { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) found.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts')) found.push(path);
  }
  return found;
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(IMPORT)].map((match) => normalize(join(dirname(file), (match[1] ?? match[2])!)).replace(/\.js$/, '.ts'));
}

function edges(): ImportEdge[] {
  return SOURCE_FOLDERS.flatMap(sourceFiles).flatMap((from) => importsOf(from).map((to) => ({ from, to: relative('.', to) })));
}

const top = (path: string) => path.split('/')[0]!;
const under = (path: string, folder: string) => path === folder || path.startsWith(`${folder}/`);

/** Which top-level folders each may import (besides itself and npm packages). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  protocol: [],
  schema: [],
  // The CLI speaks the API as a client would: only the wire's schemas.
  cli: ['protocol'],
  // The gateway runs the prompt-policy engine in workerd; it is pure (zod only).
  gateway: ['protocol', 'schema', 'plugins/safety-policy'],
  plugins: ['protocol'],
  'origin-gpu': ['protocol', 'plugins', 'schema'],
  scripts: ['protocol', 'origin-gpu', 'plugins', 'schema'],
  bench: ['protocol', 'origin-gpu', 'plugins', 'schema', 'scripts', 'test'],
};

/** Every edge that breaks a rule, with the rule it breaks. */
function violations(all: readonly ImportEdge[]): string[] {
  const found: string[] = [];
  for (const { from, to } of all) {
    const source = top(from);
    const target = top(to);
    if (source !== target && !(MAY_IMPORT[source] ?? []).some((allowed) => under(to, allowed))) {
      found.push(`${from} → ${to}: ${source}/ may not import ${target}/`);
    }
    if (under(from, 'gateway/routes') && under(to, 'gateway/routes')) found.push(`${from} → ${to}: routes share code through gateway/jobs/, never import each other`);
    if (under(from, 'plugins') && !under(from, 'plugins/sdk/testing') && under(to, 'plugins/sdk/testing')) {
      found.push(`${from} → ${to}: the contract kit (vitest, sharp) is for tests, not for a plugin's run time`);
    }
  }
  // A Durable Object reaches no HTTP middleware or route, even through another module.
  const next = new Map<string, string[]>();
  for (const { from, to } of all) next.set(from, [...(next.get(from) ?? []), to]);
  for (const object of new Set(all.map((edge) => edge.from).filter((file) => under(file, 'gateway/objects')))) {
    const seen = new Set([object]);
    const queue: Array<{ file: string; path: string[] }> = [{ file: object, path: [object] }];
    while (queue.length > 0) {
      const { file, path } = queue.shift()!;
      for (const to of next.get(file) ?? []) {
        if (seen.has(to)) continue;
        seen.add(to);
        if (under(to, 'gateway/middleware') || under(to, 'gateway/routes')) found.push(`${[...path, to].join(' → ')}: a Durable Object must not depend on HTTP middleware or routes`);
        else queue.push({ file: to, path: [...path, to] });
      }
    }
  }
  return found;
}

describe('the layout\'s import rules', () => {
  it('should hold for every import in the source tree', () => {
    const all = edges();
    expect(all.length).toBeGreaterThan(200);
    expect(violations(all)).toEqual([]);
  });

  it('should catch each kind of crossing, a Durable Object reaching middleware through another module included', () => {
    const found = violations([
      { from: 'origin-gpu/worker.ts', to: 'gateway/queue.ts' },
      { from: 'protocol/jobs.ts', to: 'gateway/tiers.ts' },
      { from: 'gateway/routes/images.ts', to: 'gateway/routes/edits.ts' },
      { from: 'plugins/encode-sharp/index.ts', to: 'plugins/sdk/testing/index.ts' },
      { from: 'gateway/objects/queue-shard.ts', to: 'gateway/jobs/slots.ts' },
      { from: 'gateway/jobs/slots.ts', to: 'gateway/middleware/rate-limit.ts' },
    ]);
    expect(found).toHaveLength(5);
    expect(found.at(-1)).toBe('gateway/objects/queue-shard.ts → gateway/jobs/slots.ts → gateway/middleware/rate-limit.ts: a Durable Object must not depend on HTTP middleware or routes');
  });
});
