// Every test of the workspace, in dependency order: format and lint, unused code, types, protocol, script (build + size
// budget), collector (assets, deploy dry-run, tests), browser in three engines, bench smoke.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}/.test-results`;
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

/**
 * [label, package dir, command..., { env }?]; a vitest step (its further words are vitest's file filters) writes its
 * JSON report for the final count.
 */
const steps = [
  ['format + lint (biome)', '.', 'pnpm', 'exec', 'biome', 'check', '--diagnostic-level=error', '.'],
  ['unused files, exports, dependencies (knip)', '.', 'pnpm', 'exec', 'knip', '--no-progress'],
  ['typecheck', '.', 'pnpm', 'run', 'typecheck'],
  ['protocol', 'packages/protocol', 'vitest'],
  ['sdk build + size budget', 'packages/sdk', 'pnpm', 'run', 'build'],
  ['sdk', 'packages/sdk', 'vitest'],
  ['collector assets', 'packages/collector', 'pnpm', 'run', 'assets'],
  // The real wrangler.jsonc (bindings, queues and their consumers, vars, assets) bundled and checked as a deploy would,
  // with no account and no network: a configuration that would not deploy fails here.
  [
    'collector deploy dry-run',
    'packages/collector',
    'pnpm',
    'exec',
    'wrangler',
    'deploy',
    '--dry-run',
    '--outdir',
    'dist',
  ],
  ['collector', 'packages/collector', 'vitest'],
  // Every collector test file again with each site in its own shard (STORAGE "shards"): both layouts tested the same way.
  ['collector, sharded storage', 'packages/collector', 'vitest', { env: { PARCOURS_STORAGE: 'shards' } }],
  ['browser end-to-end', 'test', 'vitest'],
  // The e2e suite runs the default ingestion (wrangler.jsonc INGEST, "direct"); the script's delivery guarantees
  // (nothing lost, nothing stored twice) are also checked through the queue, in one engine.
  [
    'browser delivery, queued ingestion',
    'test',
    'vitest',
    'sdk/delivery',
    { env: { PARCOURS_INGEST: 'queue', PARCOURS_ENGINES: 'chromium' } },
  ],
  // And what a person checks in the browser (delivery, the journeys through the shops, the dashboard's numbers) with
  // each site in its shard, in one engine: the storage layout is below the script, so one engine says enough.
  [
    'browser journeys, sharded storage',
    'test',
    'vitest',
    'sdk/delivery',
    'journeys',
    'dashboard',
    { env: { PARCOURS_STORAGE: 'shards', PARCOURS_ENGINES: 'chromium' } },
  ],
  ['bench smoke', 'bench', 'pnpm', 'run', 'smoke'],
];

// Wrangler phones home and fetches `request.cf` data by default: CI needs no network (an explicit setting wins).
const QUIET_ENV = { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

let passed = 0;
let failed = 0;
const started = Date.now();
for (const step of steps) {
  const options = typeof step.at(-1) === 'object' ? step.pop() : {};
  const [label, dir, cmd, ...args] = step;
  if (!existsSync(`${root}/${dir}/package.json`) && dir !== '.') continue;
  const report = `${out}/${label.replace(/\W+/g, '-')}.json`;
  const argv =
    cmd === 'vitest'
      ? ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...args]
      : [cmd === 'pnpm' ? args : [cmd, ...args]].flat();
  console.log(`\n── ${label} ──`);
  const t = Date.now();
  const r = spawnSync('pnpm', argv, {
    cwd: `${root}/${dir}`,
    stdio: 'inherit',
    env: { ...QUIET_ENV, ...process.env, ...options.env },
  });
  if (cmd === 'vitest' && existsSync(report)) {
    const j = JSON.parse(readFileSync(report, 'utf8'));
    passed += j.numPassedTests;
    failed += j.numFailedTests;
  }
  console.log(`── ${label}: ${r.status === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  if (r.status !== 0) {
    if (cmd !== 'vitest') failed++;
    console.log(`\n${passed} passed, ${failed} failed`);
    process.exit(r.status ?? 1);
  }
}
console.log(`\nall steps ok in ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`${passed} passed, ${failed} failed`);
