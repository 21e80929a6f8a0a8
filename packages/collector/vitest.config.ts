// Collector tests run inside workerd (the Workers runtime) against a real local D1, migrated per test file.
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

export default defineConfig(async () => ({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.jsonc' },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations('./migrations'),
          ADMIN_TOKEN: 'test-admin-token-at-least-32-characters',
          // Generated payloads of the hostile-input suite: a fast slice by default, `HOSTILE_RUNS=10000` for the full run.
          HOSTILE_RUNS: process.env.HOSTILE_RUNS ?? '300',
        },
      },
    }),
  ],
  test: { setupFiles: ['./test/apply-migrations.ts'], testTimeout: 60_000 },
}));
