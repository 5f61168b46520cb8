import { Scalar } from '@scalar/hono-api-reference';
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { openApiDocument } from '../openapi.js';

/** Where the reference page's script is served from: a Workers static asset (gateway/public/), copied from node_modules at install. */
export const REFERENCE_SCRIPT_PATH = '/docs/scalar-api-reference.js';

/** GET /openapi.json and the reference page at /docs; both public. */
export const reference = new Hono<AppEnv>();

reference.get('/openapi.json', (c) => c.json(openApiDocument(), 200, { 'cache-control': 'public, max-age=300', 'access-control-allow-origin': '*' }));

// Everything the page needs comes from this origin: no CDN, fonts, telemetry, proxy or AI agent.
reference.get(
  '/docs',
  Scalar({
    url: '/openapi.json',
    cdn: REFERENCE_SCRIPT_PATH,
    pageTitle: 'Lumen API reference',
    withDefaultFonts: false,
    telemetry: false,
    proxyUrl: '',
    agent: { disabled: true },
    mcp: { disabled: true },
    // Its toolbar (shown on localhost) offers hosted Scalar services.
    showDeveloperTools: 'never',
  }),
);
