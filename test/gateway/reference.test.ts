import { describe, expect, it } from 'vitest';
import { app } from '../../gateway/index.js';
import { documentedRoutes } from '../../gateway/openapi.js';
import { REFERENCE_SCRIPT_PATH } from '../../gateway/routes/reference.js';
import { call, env } from './helpers.js';

const BASE = 'http://lumen.test';
const assets = (env as unknown as { ASSETS: Fetcher }).ASSETS;

describe('/docs and /openapi.json', () => {
  it('should serve the OpenAPI 3.1 document without a key', async () => {
    const response = await call('/openapi.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toContain('/v1/images/generations');
  });

  it('should document every public route the app serves', () => {
    // Parameters compared by position only: Hono's `:id`, `:id{.+}` and `*` against OpenAPI's `{id}`.
    const shape = (path: string) => path.replace(/\/+$/, '').replace(/:[^/]+|\{[^}]+\}|\*/g, '{}') || '/';
    const documented = new Set(documentedRoutes().map(({ method, path }) => `${method.toUpperCase()} ${shape(path)}`));
    const served = app.routes
      .filter(({ method, path }) => method !== 'ALL' && !path.startsWith('/v1/admin') && !path.startsWith('/internal'))
      .map(({ method, path }) => `${method} ${shape(path)}`);
    expect(served.length).toBeGreaterThan(10);
    expect([...new Set(served)].filter((route) => !documented.has(route))).toEqual([]);
  });

  it('should answer HTML whose scripts all come from the gateway itself, with no fonts, telemetry or proxy from elsewhere', async () => {
    const response = await call('/docs');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    const sources = scripts.flatMap(([, attributes]) => [.../\bsrc\s*=\s*["']([^"']+)["']/.exec(attributes ?? '')?.slice(1) ?? []]);
    expect(sources).toEqual([REFERENCE_SCRIPT_PATH]);
    for (const source of sources) expect(new URL(source, BASE).origin).toBe(BASE);
    // Inline scripts may not import or load anything from another origin either.
    for (const [, , inline] of scripts) expect(inline ?? '').not.toMatch(/https?:\/\/|\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    expect(html).not.toMatch(/<link\b[^>]*href=["']https?:/i);
    expect(html).toContain('"url": "/openapi.json"');
    expect(html).toContain('"withDefaultFonts": false');
    expect(html).toContain('"telemetry": false');
    expect(html).toContain('"proxyUrl": ""');
  });

  it('should have the reference script among the static assets (copied from node_modules at install)', async () => {
    const response = await assets.fetch(new Request(`${BASE}${REFERENCE_SCRIPT_PATH}`));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/javascript/);
    const script = await response.text();
    expect(script.length).toBeGreaterThan(100_000);
    expect(script).toContain('createApiReference');
  });
});
