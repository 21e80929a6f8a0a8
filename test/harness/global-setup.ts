// Once per test run: build the script and the collector assets, start one collector every test file shares, stop it at the end.
import type { TestProject } from 'vitest/node';
import { buildAssets, startCollector } from '../../scripts/collector-process.mjs';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The e2e tests are about the script as shipped: always rebuild it from the current source.
  buildAssets({ rebuildSdk: process.env.PARCOURS_SKIP_SDK_BUILD !== '1' });
  const collector = await startCollector({ build: false, log: process.env.PARCOURS_COLLECTOR_LOG ? (l) => console.log(`[collector] ${l}`) : undefined });
  project.provide('collectorUrl', collector.url);
  project.provide('adminToken', collector.adminToken);
  return () => collector.stop();
}
