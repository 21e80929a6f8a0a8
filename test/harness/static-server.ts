// Serves the example shop (or its SPA variant) on a free port of its own, so the collector sees a real cross-origin page;
// every page carries the tests' event recorder first in its head.
import { join } from 'node:path';
import { startStaticServer as startServer, type RunningStaticServer } from '../../scripts/static-server.mjs';
import { ROOT } from '../../scripts/collector-process.mjs';
import { RECORDER } from './browser.ts';

export type { RunningStaticServer };

/** Serves `dir` for `site` with the recorder in every page (see `scripts/static-server.mjs` for the options). */
export const startStaticServer = (opts: Parameters<typeof startServer>[0]): Promise<RunningStaticServer> =>
  startServer({ head: RECORDER, ...opts });

/** Starts the multi-page shop for `site` talking to the collector at `collector`. */
export function serveShop(collector: string, site: string): Promise<RunningStaticServer> {
  return startStaticServer({ dir: join(ROOT, 'examples', 'shop'), collector, site });
}

/** Starts the single-page variant for `site`: every extension-less path answers its `index.html`. */
export function serveSpa(collector: string, site: string): Promise<RunningStaticServer> {
  return startStaticServer({
    dir: join(ROOT, 'examples', 'spa'),
    assets: join(ROOT, 'examples', 'shop'),
    collector,
    site,
    spa: true,
  });
}
