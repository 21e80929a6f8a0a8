// Builds the worker's static assets into public/: the script (from the SDK build) and the dashboard.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('..', import.meta.url));
const pub = `${here}/public`;
const sdk = `${here}/../sdk/dist/parcours.js`;

rmSync(pub, { recursive: true, force: true });
mkdirSync(pub, { recursive: true });

if (!existsSync(sdk)) throw new Error('packages/sdk/dist/parcours.js is missing: run `pnpm --filter @parcours/sdk build` first');
cpSync(sdk, `${pub}/parcours.js`);

// The dashboard: static files as they are, its entry bundled and minified.
if (existsSync(`${here}/dashboard/static`)) cpSync(`${here}/dashboard/static`, pub, { recursive: true });
if (existsSync(`${here}/dashboard/src/main.ts`)) {
  await build({
    entryPoints: [`${here}/dashboard/src/main.ts`],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    outfile: `${pub}/dashboard.js`,
    logLevel: 'warning',
  });
}

// Cache headers (Workers static assets read `_headers`): the script is fetched on every page of every site.
writeFileSync(
  `${pub}/_headers`,
  ['/parcours.js', '  Cache-Control: public, max-age=3600, stale-while-revalidate=86400', '  Access-Control-Allow-Origin: *', ''].join('\n'),
);
