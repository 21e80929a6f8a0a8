// Collector tests run inside workerd (the Workers runtime) against a real local D1, migrated per test file.
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Paths from this file, not from the working directory: knip and the root scripts load it from elsewhere.
const here = (path: string) => resolve(dirname(fileURLToPath(import.meta.url)), path);

// `PARCOURS_STORAGE=shards` runs every test file again with each site's rows in its shard (wrangler.jsonc STORAGE):
// the same tests, reading and writing a site's rows through test/site-rows.ts wherever the layout keeps them, so both
// layouts are tested the same way. No file is left out of either pass.
const storage = process.env.PARCOURS_STORAGE ?? 'd1';

export default defineConfig(async () => ({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: here('./wrangler.jsonc') },
      miniflare: {
        bindings: {
          STORAGE: storage,
          TEST_MIGRATIONS: await readD1Migrations(here('./migrations')),
          ADMIN_TOKEN: 'test-admin-token-at-least-32-characters',
          WEBHOOK_KEY: 'test-webhook-key-at-least-32-characters',
          // Generated payloads of the hostile-input suite: a fast slice by default, `HOSTILE_RUNS=10000` for the full run.
          HOSTILE_RUNS: process.env.HOSTILE_RUNS ?? '300',
          // Derivation fails for visitors whose id starts with this, once their events are stored (src/derive/dirty.test.ts).
          PARCOURS_TEST_DERIVATION_FAILS: 'derivation-fails-',
          // Values a shard samples per median (src/reports/medians.ts): few, so that small test sites take round 2.
          PARCOURS_TEST_MEDIAN_SAMPLES: '3',
        },
      },
    }),
  ],
  test: {
    setupFiles: ['./test/apply-migrations.ts'],
    testTimeout: 60_000,
  },
}));
