// Once per test run: build the script and the collector assets, start one collector every test file shares, stop it at the end.
import type { TestProject } from 'vitest/node';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, buildAssets, startCollector } from '../../scripts/collector-process.mjs';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The e2e tests are about the script as shipped: always rebuild it from the current source.
  try {
    buildAssets({ rebuildSdk: process.env.PARCOURS_SKIP_SDK_BUILD !== '1' });
  } catch (err) {
    // A source tree that does not bundle right now (someone mid-edit) fails the SDK's own build step; here, test the last bundle.
    if (!existsSync(join(ROOT, 'packages', 'sdk', 'dist', 'parcours.js'))) throw err;
    console.warn(`e2e: the SDK did not rebuild, testing the existing dist/parcours.js\n${String(err).slice(0, 2000)}`);
    buildAssets({ rebuildSdk: false });
  }
  const collector = await startCollector({
    build: false,
    log: process.env.PARCOURS_COLLECTOR_LOG ? (l) => console.log(`[collector] ${l}`) : undefined,
  });
  project.provide('collectorUrl', collector.url);
  project.provide('adminToken', collector.adminToken);
  return () => collector.stop();
}
