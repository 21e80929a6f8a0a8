// Builds the worker's static assets into public/: every variant of the script (from the SDK build) and the dashboard.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SURVEY_MODULE, VARIANTS } from '../../sdk/variants.mjs';

const here = fileURLToPath(new URL('..', import.meta.url));
const pub = `${here}/public`;
const sdk = `${here}/../sdk/dist`;

// Files are overwritten in place, never the folder removed: a running `wrangler dev` serving
// public/ would answer 404 until restarted if the folder vanished under it.
mkdirSync(pub, { recursive: true });

// /parcours.js has every feature, /parcours.core.js none, /parcours.forms.carts.js … what they name (docs/PROTOCOL.md);
// /parcours-survey.js is the module the survey variants load when a survey is due.
const SCRIPTS = [...VARIANTS.map(({ file }) => file), SURVEY_MODULE];
for (const file of SCRIPTS) {
  if (!existsSync(`${sdk}/${file}`))
    throw new Error(`packages/sdk/dist/${file} is missing: run \`pnpm --filter @parcours/sdk build\` first`);
  cpSync(`${sdk}/${file}`, `${pub}/${file}`);
}

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
// The dashboard holds a read token in sessionStorage: a strict CSP keeps any injected script from
// running or sending it elsewhere (inline style attributes are the dashboard's only inline content).
const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
const dashboardHeaders = [
  `  Content-Security-Policy: ${DASHBOARD_CSP}`,
  '  Referrer-Policy: no-referrer',
  '  X-Content-Type-Options: nosniff',
  // Revalidate every time: a new deployment must not pair a new page with an old script.
  '  Cache-Control: no-cache',
];
writeFileSync(
  `${pub}/_headers`,
  [
    ...SCRIPTS.flatMap((file) => [
      `/${file}`,
      '  Cache-Control: public, max-age=3600, stale-while-revalidate=86400',
      '  Access-Control-Allow-Origin: *',
    ]),
    ...['/', '/index.html', '/dashboard.js', '/dashboard.css'].flatMap((path) => [path, ...dashboardHeaders]),
    '',
  ].join('\n'),
);
