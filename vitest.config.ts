import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

// Two projects: gateway tests run inside workerd (real Durable Objects, R2),
// everything else runs in Node next to the real origin-gpu processes.
export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              // Tests stand in for Cloudflare's edge, which sets CF-Connecting-IP itself (see docs/CONFIGURATION.md).
              bindings: { ADMIN_SECRET: 'test-admin-secret', ORIGIN_SECRET: 'test-origin-secret', LEASE_TTL_MS: '300', TRUSTED_CLIENT_IP_HEADER: 'cf-connecting-ip', WORKER_EXPIRY_MS: '2000' },
            },
          }),
        ],
        // Many tests make dozens of Durable Object round trips; a loaded CI machine needs more than vitest's 5 s default.
        test: { name: 'gateway', include: ['test/gateway/**/*.test.ts'], testTimeout: 30_000 },
      },
      {
        test: {
          name: 'node',
          include: ['test/architecture/**/*.test.ts', 'test/origin/**/*.test.ts', 'test/plugins/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/browser/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
