// The code of a collector source tree, bundled and imported: the benches that run two trees side by side
// (derive-history.ts, derive-statements.ts, storage-bench.ts), and derive-direct.ts for this tree, load each through this.
import { build } from 'esbuild';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const COLLECTOR = fileURLToPath(new URL('../../packages/collector', import.meta.url));

/** Bundles the modules `modules` (paths under `src`) of the collector source tree `src` into the file `out` and imports what they export. */
export async function bundleModules<T>(src: string, modules: string[], out: string): Promise<T> {
  await build({
    stdin: {
      contents: modules.map((m) => `export * from ${JSON.stringify(join(src, m))};`).join('\n'),
      resolveDir: src,
      loader: 'ts',
    },
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

/** Bundles `src/derive/index.ts` of the collector source tree `src` into the file `out` and imports it. */
export function bundleDerive<T>(src: string, out: string): Promise<T> {
  return bundleModules<T>(src, ['derive/index.ts'], out);
}
