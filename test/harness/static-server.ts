// Serves the example shop (or its SPA variant) on a free port of its own, so the collector sees a real cross-origin page.
import { join } from 'node:path';
import { startStaticServer, type RunningStaticServer } from '../../scripts/static-server.mjs';
import { ROOT } from '../../scripts/collector-process.mjs';

export type { RunningStaticServer };

/** Starts the multi-page shop for `site` talking to the collector at `collector`. */
export function serveShop(collector: string, site: string): Promise<RunningStaticServer> {
  return startStaticServer({ dir: join(ROOT, 'examples', 'shop'), collector, site });
}

/** Starts the single-page variant for `site`: every extension-less path answers its `index.html`. */
export function serveSpa(collector: string, site: string): Promise<RunningStaticServer> {
  return startStaticServer({ dir: join(ROOT, 'examples', 'spa'), assets: join(ROOT, 'examples', 'shop'), collector, site, spa: true });
}

export { startStaticServer };
