// Every test of the workspace, in dependency order: format and lint, unused code, types, protocol, script (build + size
// budget), collector, browser in three engines, bench smoke.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}/.test-results`;
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

/** [label, package dir, command...]; a vitest step writes its JSON report for the final count. */
const steps = [
  ['format + lint (biome)', '.', 'pnpm', 'exec', 'biome', 'check', '--diagnostic-level=error', '.'],
  ['unused files, exports, dependencies (knip)', '.', 'pnpm', 'exec', 'knip', '--no-progress'],
  ['typecheck', '.', 'pnpm', 'run', 'typecheck'],
  ['protocol', 'packages/protocol', 'vitest'],
  ['sdk build + size budget', 'packages/sdk', 'pnpm', 'run', 'build'],
  ['sdk', 'packages/sdk', 'vitest'],
  ['collector bundle', 'packages/collector', 'pnpm', 'run', 'build'],
  ['collector', 'packages/collector', 'vitest'],
  ['browser end-to-end', 'test', 'vitest'],
  ['bench smoke', 'bench', 'pnpm', 'run', 'smoke'],
];

let passed = 0;
let failed = 0;
const started = Date.now();
for (const [label, dir, cmd, ...args] of steps) {
  if (!existsSync(`${root}/${dir}/package.json`) && dir !== '.') continue;
  const report = `${out}/${label.replace(/\W+/g, '-')}.json`;
  const argv =
    cmd === 'vitest'
      ? ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`]
      : [cmd === 'pnpm' ? args : [cmd, ...args]].flat();
  console.log(`\n── ${label} ──`);
  const t = Date.now();
  const r = spawnSync('pnpm', argv, { cwd: `${root}/${dir}`, stdio: 'inherit' });
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
