// Collector tests run inside workerd (the Workers runtime) against a real local D1, migrated per test file.
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Paths from this file, not from the working directory: knip and the root scripts load it from elsewhere.
const here = (path: string) => resolve(dirname(fileURLToPath(import.meta.url)), path);

// `PARCOURS_STORAGE=shards` runs the tests of what a site's rows go through (ingestion, derivation, reports, erasure,
// retention) with each site in its shard (wrangler.jsonc STORAGE): the same tests, reading rows through
// test/site-rows.ts, wherever the layout keeps them.
const storage = process.env.PARCOURS_STORAGE ?? 'd1';
const BOTH_LAYOUTS = [
  'src/routes/events.test.ts',
  'src/routes/reports.test.ts',
  'src/routes/erasure.test.ts',
  'src/reports/reports.test.ts',
  'src/schedule/retention.test.ts',
  'src/ingest/store-batch.test.ts',
  'src/derive/arrival-order.test.ts',
  'src/queue-ingest/queue-ingest.test.ts',
  'src/schedule/alerts.test.ts',
  'src/derive/rollups.test.ts',
  'src/shard/shard.test.ts',
  'src/shard/several-shards.test.ts',
  'src/schedule/carts-shards.test.ts',
];

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
    ...(storage === 'shards' ? { include: BOTH_LAYOUTS } : {}),
  },
}));
