// `pnpm dev`: the collector under wrangler dev with a persistent local D1, the `demo` site, the example shop and its SPA variant.
// Flags: `--no-seed` skips the synthetic history, `--verbose` prints wrangler's log.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COLLECTOR_DIR, ROOT, registerSite, rotateToken, startCollector } from './collector-process.mjs';
import { seed } from './seed.mjs';
import { startStaticServer } from './static-server.mjs';

const PORTS = { collector: 8787, shop: 8788, spa: 8789 };
const ADMIN_TOKEN = 'dev-admin-token';
const SITE = 'demo';
const persistDir = join(COLLECTOR_DIR, '.wrangler', 'state');
// What a restart needs to remember: the demo read token (only its hash is in D1) and whether the history was seeded.
const stateFile = join(persistDir, 'parcours-dev.json');
const verbose = process.argv.includes('--verbose');
const seedWanted = !process.argv.includes('--no-seed');

const collectorUrl = `http://127.0.0.1:${PORTS.collector}`;
const shopUrl = `http://127.0.0.1:${PORTS.shop}`;
const spaUrl = `http://127.0.0.1:${PORTS.spa}`;
const running = [];
let stopping = false;

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping…');
  for (const r of running.reverse()) await r.stop().catch(() => {});
  process.exit(code);
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

function readState() {
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8'));
  } catch {
    return {};
  }
}

try {
  mkdirSync(persistDir, { recursive: true });
  console.log('building the script and the dashboard, starting the collector…');
  const collector = await startCollector({
    port: PORTS.collector,
    persistDir,
    adminToken: ADMIN_TOKEN,
    log: (line) => {
      if (verbose || /error|✘/i.test(line)) console.log(`[collector] ${line}`);
    },
  });
  running.push(collector);

  const origins = [PORTS.shop, PORTS.spa].flatMap((p) => [`http://127.0.0.1:${p}`, `http://localhost:${p}`]);
  const state = readState();
  let token = await registerSite(collectorUrl, ADMIN_TOKEN, { id: SITE, origins });
  if (token) state.seeded = false;
  // Registered on an earlier run: reuse the token we saved then, or mint a new one when it was lost.
  token ??= state.readToken ?? (await rotateToken(collectorUrl, ADMIN_TOKEN, SITE));
  state.readToken = token;
  writeFileSync(stateFile, JSON.stringify(state, null, 2));

  running.push(await startStaticServer({ dir: join(ROOT, 'examples', 'shop'), port: PORTS.shop, collector: collectorUrl, site: SITE }));
  running.push(
    await startStaticServer({ dir: join(ROOT, 'examples', 'spa'), assets: join(ROOT, 'examples', 'shop'), port: PORTS.spa, collector: collectorUrl, site: SITE, spa: true }),
  );

  if (seedWanted && !state.seeded) {
    process.stdout.write('seeding 3000 synthetic visitors of the last 30 days (once; --no-seed skips)… ');
    const started = Date.now();
    const totals = await seed({ url: collectorUrl, site: SITE, origin: shopUrl, visitors: 3000 });
    console.log(`${totals.accepted} events in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    state.seeded = true;
    writeFileSync(stateFile, JSON.stringify(state, null, 2));
  }

  console.log(`
  Parcours is running (Ctrl-C stops everything)

    shop        ${shopUrl}/
    shop (SPA)  ${spaUrl}/
    dashboard   ${collectorUrl}/      (site "${SITE}", read token below)
    collector   ${collectorUrl}/v1/health

    demo read token   ${token}
    admin token       ${ADMIN_TOKEN}   (local only)
    local database    ${persistDir.replace(ROOT, '').replace(/^\//, '')}   (kept across restarts)
`);
  if (!existsSync(join(COLLECTOR_DIR, 'public', 'parcours.js'))) console.log('  warning: the script was not built: the shop will not track anything');
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  await stopAll(1);
}
