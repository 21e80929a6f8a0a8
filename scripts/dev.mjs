// `pnpm dev`: the collector under wrangler dev with a persistent local D1, the `demo` site, the example shop and its SPA variant.
// Flags: `--no-seed` skips the synthetic history, `--visitors N` (default 3000), `--verbose` prints wrangler's log,
// `--no-build` serves the assets as they are, `--ports C,S,P,I` (collector, shop, SPA, webhook inbox; default 8787,8788,8789,8790)
// and `--state DIR` (default packages/collector/.wrangler/state).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { seedSite } from '@parcours/traffic';
import {
  addSurvey,
  COLLECTOR_DIR,
  ROOT,
  buildAssets,
  ensureWebhook,
  registerSite,
  rotateIngestKey,
  rotateToken,
  SHOP_SURVEYS,
  shownPath,
  startCollector,
} from './collector-process.mjs';
import { startStaticServer } from './static-server.mjs';
import { startWebhookInbox } from './webhook-inbox.mjs';

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const [cPort, sPort, pPort, iPort = 8790] = flag('ports', '8787,8788,8789,8790').split(',').map(Number);
const PORTS = { collector: cPort, shop: sPort, spa: pPort, inbox: iPort };
const ADMIN_TOKEN = 'dev-admin-token';
const SITE = 'demo';
const VISITORS = Number(flag('visitors', '3000'));
const persistDir = resolve(flag('state', join(COLLECTOR_DIR, '.wrangler', 'state')));
// What a restart needs to remember: the demo read token and ingest key (only their hashes are in D1) and whether the
// history was seeded.
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
  if (!process.argv.includes('--no-build')) {
    console.log('building the script and the dashboard…');
    try {
      buildAssets({ rebuildSdk: true });
    } catch (err) {
      // A half-edited SDK must not stop the rest: serve the last bundle when there is one.
      if (!existsSync(join(ROOT, 'packages', 'sdk', 'dist', 'parcours.js'))) throw err;
      console.log(`the SDK did not rebuild, serving the last bundle:\n${String(err).slice(0, 1500)}`);
      buildAssets();
    }
  }
  console.log('starting the collector…');
  const collector = await startCollector({
    build: false,
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
  if (token) {
    // A new local database: what the state file remembers of an older one is void.
    state.seeded = false;
    state.ingestKey = undefined;
    state.webhook = undefined;
  }
  // Registered on an earlier run: reuse the token we saved then, or mint a new one when it was lost.
  token ??= state.readToken ?? (await rotateToken(collectorUrl, ADMIN_TOKEN, SITE));
  state.readToken = token;
  // At once: a start that fails later (a port taken) must not leave a token of the database before.
  writeFileSync(stateFile, JSON.stringify(state, null, 2));
  // Server-side senders (no Origin header, such as curl) need the site's ingest key; only its hash is in D1.
  state.ingestKey ??= await rotateIngestKey(collectorUrl, ADMIN_TOKEN, SITE);
  // The webhook inbox: the demo site's cart.* and alert.* deliveries arrive there, signatures checked.
  const inbox = await startWebhookInbox({ port: PORTS.inbox, secrets: () => [state.webhook?.secret].filter(Boolean) });
  running.push(inbox);
  state.webhook = await ensureWebhook(collectorUrl, ADMIN_TOKEN, SITE, `${inbox.url}/webhooks`, state.webhook);
  writeFileSync(stateFile, JSON.stringify(state, null, 2));
  // The shop asks how it went: a CSAT after a purchase (no cooldown of its own, so the account page can still ask),
  // and an NPS on the account pages, once a month at most.
  for (const survey of SHOP_SURVEYS) await addSurvey(collectorUrl, ADMIN_TOKEN, SITE, survey);

  running.push(
    await startStaticServer({
      dir: join(ROOT, 'examples', 'shop'),
      port: PORTS.shop,
      collector: collectorUrl,
      site: SITE,
    }),
  );
  running.push(
    await startStaticServer({
      dir: join(ROOT, 'examples', 'spa'),
      assets: join(ROOT, 'examples', 'shop'),
      port: PORTS.spa,
      collector: collectorUrl,
      site: SITE,
      spa: true,
    }),
  );

  if (seedWanted && !state.seeded) {
    process.stdout.write(`seeding ${VISITORS} synthetic visitors of the last 30 days (once; --no-seed skips)… `);
    const started = Date.now();
    const totals = await seedSite({ url: collectorUrl, site: SITE, origin: shopUrl, visitors: VISITORS });
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
    webhooks    ${inbox.url}/webhooks   (deliveries are logged here as [inbox] lines)
    schedule    curl ${collectorUrl}/__scheduled   (runs the abandoned-cart and alert checks now)

    demo read token   ${token}
    demo ingest key   ${state.ingestKey}   (x-parcours-key, for senders without Origin such as curl)
    admin token       ${ADMIN_TOKEN}   (local only)
    local database    ${shownPath(persistDir)}   (kept across restarts)
`);
  if (!existsSync(join(COLLECTOR_DIR, 'public', 'parcours.js')))
    console.log('  warning: the script was not built: the shop will not track anything');
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  await stopAll(1);
}
