// Starts headless Chromium the way every browser test of the project does: the system binary, a fresh profile.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, VISITOR_UA } from '../../scripts/chromium.mjs';

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Launches Chromium with a fresh user-data-dir. `hosts` are mapped to 127.0.0.1 (so a page and its
 * collector are different sites, as in production, with no traffic leaving the machine) and
 * `secureOrigins` are treated as secure contexts (needed for cross-origin isolation and crypto.randomUUID).
 */
export async function launch(hosts: string[] = [], secureOrigins: string[] = []): Promise<Browser> {
  const dir = mkdtempSync(join(tmpdir(), 'parcours-bench-chromium-'));
  // Plausible and PostHog send nothing when navigator.webdriver is true: present as a person's browser.
  const args = [...CHROMIUM_ARGS, '--disable-blink-features=AutomationControlled'];
  if (hosts.length) args.push(`--host-resolver-rules=${hosts.map((h) => `MAP ${h} 127.0.0.1`).join(', ')}`);
  if (secureOrigins.length) args.push(`--unsafely-treat-insecure-origin-as-secure=${secureOrigins.join(',')}`);
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args,
    // Playwright switches the back/forward cache off; visitors have it on.
    ignoreDefaultArgs: ['--disable-back-forward-cache'],
    userAgent: VISITOR_UA,
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
