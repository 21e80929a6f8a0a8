// The derivation code of a collector source tree, bundled and imported: the benches that run two trees side by side
// (derive-history.ts, derive-statements.ts) load each through this.
import { build } from 'esbuild';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const COLLECTOR = fileURLToPath(new URL('../../packages/collector', import.meta.url));

/** Bundles `src/derive/index.ts` of the collector source tree `src` into the file `out` and imports it. */
export async function bundleDerive<T>(src: string, out: string): Promise<T> {
  await build({
    entryPoints: [join(src, 'derive/index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    outfile: out,
    logLevel: 'error',
    // A baseline's copy of the sources sits outside the workspace: packages resolve from the collector's.
    nodePaths: [join(COLLECTOR, 'node_modules')],
  });
  return (await import(pathToFileURL(out).href)) as T;
}
