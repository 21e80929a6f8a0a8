// A reliability visitor: real Chromium on a fresh profile that records every generated event id and every page error cheaply.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchAsVisitor } from '../harness/browser.ts';
const IDS_PREFIX = '__rel_ids:';
const ERRORS_PREFIX = '__rel_errors:';

/**
 * Written into every document before the script runs. Ids go to localStorage in chunks of 100 (a closing tab's last
 * ids survive, and 5,000 events do not rewrite one growing array 5,000 times); errors thrown into the page and
 * unhandled rejections are counted there too, synchronously, so a tab closed right after still reports them.
 */
const RECORDER = `(() => {
  const doc = Date.now() + '-' + Math.random().toString(36).slice(2);
  let chunk = [], n = 0, errors = [];
  addEventListener('parcours:event', (e) => {
    try {
      chunk.push(e.detail.id);
      localStorage.setItem(${JSON.stringify(IDS_PREFIX)} + doc + ':' + n, chunk.join(','));
      if (chunk.length === 100) { chunk = []; n++; }
    } catch {}
  });
  const note = (kind, what) => {
    try { errors.push(kind + ': ' + String(what).slice(0, 300)); localStorage.setItem(${JSON.stringify(ERRORS_PREFIX)} + doc, JSON.stringify(errors)); } catch {}
  };
  addEventListener('error', (e) => note('error', e.message));
  addEventListener('unhandledrejection', (e) => note('unhandledrejection', e.reason && (e.reason.stack || e.reason)));
})();`;

export interface RelVisitor {
  context: BrowserContext;
  /** Uncaught errors Playwright saw in any page of this visitor (`pageerror`). */
  pageErrors: string[];
  /** Ids of every event the script queued in this visitor's documents on `origin`, and the errors its pages' own listeners caught. */
  read(origin: string): Promise<{ ids: string[]; inPageErrors: string[] }>;
  /** Closes the browser and deletes the profile. */
  dispose(): Promise<void>;
}

/** Opens a new visitor: a fresh profile presenting as a desktop Chrome (the collector drops HeadlessChrome as a bot). */
export async function openVisitor(): Promise<RelVisitor> {
  const profile = mkdtempSync(join(tmpdir(), 'parcours-rel-'));
  const context = await launchAsVisitor(profile);
  await context.addInitScript(RECORDER);
  const pageErrors: string[] = [];
  const watch = (p: Page) => p.on('pageerror', (e) => pageErrors.push(String(e.stack ?? e)));
  context.pages().forEach(watch);
  context.on('page', watch);
  return {
    context,
    pageErrors,
    async read(origin) {
      const page = await context.newPage();
      try {
        // A same-origin page that runs no script (a 404 of the static server): its storage is the site's storage.
        await page.goto(`${origin}/__rel-read.txt`);
        return await page.evaluate(
          ([idsPrefix, errorsPrefix]) => {
            const ids: string[] = [];
            const inPageErrors: string[] = [];
            for (let i = 0; i < localStorage.length; i++) {
              const k = localStorage.key(i)!;
              const v = localStorage.getItem(k) ?? '';
              if (k.startsWith(idsPrefix!) && v) ids.push(...v.split(','));
              if (k.startsWith(errorsPrefix!)) inPageErrors.push(...(JSON.parse(v) as string[]));
            }
            return { ids, inPageErrors };
          },
          [IDS_PREFIX, ERRORS_PREFIX],
        );
      } finally {
        await page.close();
      }
    },
    async dispose() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
