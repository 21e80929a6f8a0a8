// Starts and stops the collector under `wrangler dev` with a migrated local D1: shared by `pnpm dev` and the e2e tests.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SURVEY_MODULE, VARIANTS } from '../packages/sdk/variants.mjs';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const COLLECTOR_DIR = join(ROOT, 'packages', 'collector');

/** A folder as `pnpm dev` prints it: relative to the repository when inside it (ROOT ends with `/`), else in full. */
export function shownPath(dir) {
  const rel = relative(ROOT, dir);
  return rel && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel) ? rel : dir;
}
// Every variant of the tag the collector serves (a dist/ built before the variants existed holds only parcours.js).
const SDK_BUNDLES = [...VARIANTS.map(({ file }) => file), SURVEY_MODULE].map((file) =>
  join(ROOT, 'packages', 'sdk', 'dist', file),
);

// Wrangler phones home and fetches `request.cf` data by default; local runs must need no network.
const QUIET_ENV = { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_D1_WARNING: 'true' };

/** Asks the kernel for a port nobody listens on (127.0.0.1). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/** Runs `pnpm <args>` to completion in `cwd`, throwing with its output when it fails. */
function pnpmSync(args, cwd) {
  const r = spawnSync('pnpm', args, { cwd, env: { ...process.env, ...QUIET_ENV }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pnpm ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * Builds what the worker serves: the SDK bundle when it is missing (or `rebuildSdk`), then `public/` (script + dashboard).
 * Only the bundler runs here: the size budget is the SDK's own test step, and an over-budget script must still be testable.
 */
export function buildAssets({ rebuildSdk = false } = {}) {
  if (rebuildSdk || !SDK_BUNDLES.every((file) => existsSync(file)))
    pnpmSync(['exec', 'rollup', '-c'], join(ROOT, 'packages', 'sdk'));
  pnpmSync(['--filter', '@parcours/collector', 'run', 'assets'], ROOT);
}

/**
 * Applies the D1 migrations to the local database kept under `persistDir`. A database made by other migrations (files
 * since removed, or 0001_schema.sql as it was before an edit) is started anew: wrangler would take it for current.
 */
export function migrate(persistDir) {
  // Until the first release the schema changes in 0001_schema.sql itself, which wrangler (tracking migrations by file
  // name) would never apply again: a local database made by other migration files is started anew, saying so.
  const schema = schemaHash();
  const hashFile = join(persistDir, 'schema.sha256');
  const made = existsSync(join(persistDir, 'v3', 'd1'));
  const gone = appliedMigrations(persistDir).filter((name) => !existsSync(join(COLLECTOR_DIR, 'migrations', name)));
  const before = existsSync(hashFile) ? readFileSync(hashFile, 'utf8') : null;
  if (made && (gone.length || before !== schema)) {
    console.log('the local database was made by an earlier schema (migrations/ changed since): starting a new one');
    rmSync(join(persistDir, 'v3'), { recursive: true, force: true });
  }
  pnpmSync(
    ['exec', 'wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistDir],
    COLLECTOR_DIR,
  );
  mkdirSync(persistDir, { recursive: true });
  writeFileSync(hashFile, schema);
}

/** A hash of the collector's migrations (names and contents), to tell a local database made by other ones. */
function schemaHash() {
  const dir = join(COLLECTOR_DIR, 'migrations');
  const hash = createHash('sha256');
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql'));
  for (const name of files.sort()) hash.update(`${name}\0`).update(readFileSync(join(dir, name)));
  return hash.digest('hex');
}

/** The migrations wrangler recorded as applied to the local database under `persistDir` (none when there is none). */
function appliedMigrations(persistDir) {
  // Wrangler keeps its local state (D1, Durable Objects, queues) under v3/: a directory without it holds no database.
  if (!existsSync(join(persistDir, 'v3', 'd1'))) return [];
  const sql = `SELECT name FROM sqlite_master WHERE name = 'd1_migrations'`;
  const args = ['exec', 'wrangler', 'd1', 'execute', 'DB', '--local', '--persist-to', persistDir, '--json'];
  const tables = JSON.parse(pnpmSync([...args, '--command', sql], COLLECTOR_DIR))[0].results;
  if (!tables.length) return [];
  const applied = JSON.parse(pnpmSync([...args, '--command', 'SELECT name FROM d1_migrations'], COLLECTOR_DIR));
  return applied[0].results.map((row) => row.name);
}

/**
 * Starts the collector and resolves once `GET /v1/health` answers 200.
 * Options: `port` (default a free one), `persistDir` (default a fresh temp dir, removed on stop),
 * `adminToken` (default a random one), `build` (default true: build assets first), `log` (receives wrangler's output lines),
 * `ingest` ("direct" or "queue": the collector's INGEST var; default the env's PARCOURS_INGEST, else wrangler.jsonc's),
 * `storage` ("d1" or "shards": the collector's STORAGE var; default the env's PARCOURS_STORAGE, else wrangler.jsonc's),
 * `vars` (more collector vars, e.g. the fault-injection switches of docs/PROTOCOL.md; default none).
 * @returns {Promise<{ url: string, port: number, inspectorPort: number, adminToken: string, persistDir: string, stop(): Promise<void> }>}
 */
export async function startCollector(opts = {}) {
  const port = opts.port ?? (await freePort());
  const inspectorPort = await freePort();
  const ownDir = !opts.persistDir;
  const persistDir = opts.persistDir ?? mkdtempSync(join(tmpdir(), 'parcours-d1-'));
  const adminToken = opts.adminToken ?? `admin-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  if (opts.build !== false) buildAssets();
  migrate(persistDir);
  const ingest = opts.ingest ?? process.env.PARCOURS_INGEST;
  if (ingest && ingest !== 'direct' && ingest !== 'queue')
    throw new Error(`ingest must be direct or queue, not ${ingest}`);
  const storage = opts.storage ?? process.env.PARCOURS_STORAGE;
  if (storage && storage !== 'd1' && storage !== 'shards')
    throw new Error(`storage must be d1 or shards, not ${storage}`);

  const args = [
    'exec',
    'wrangler',
    'dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--inspector-port',
    String(inspectorPort),
    '--persist-to',
    persistDir,
    '--var',
    `ADMIN_TOKEN:${adminToken}`,
    // Local only: lets the admin API take a token under 32 characters (`dev-admin-token`); see the collector's auth.ts.
    '--var',
    'PARCOURS_LOCAL_DEV:true',
    ...(ingest ? ['--var', `INGEST:${ingest}`] : []),
    ...(storage ? ['--var', `STORAGE:${storage}`] : []),
    ...Object.entries(opts.vars ?? {}).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
    // `GET /__scheduled` runs the schedule (abandoned carts, recoveries, alerts) at once: local dev has no cron.
    '--test-scheduled',
    '--show-interactive-dev-session=false',
    '--log-level',
    'info',
  ];
  // Its own process group: killing pnpm alone leaves workerd holding the port, so stop() signals the whole group.
  const child = spawn('pnpm', args, {
    cwd: COLLECTOR_DIR,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...QUIET_ENV },
  });
  const output = [];
  const onData = (buf) => {
    for (const line of String(buf).split('\n')) {
      if (!line.trim()) continue;
      output.push(line);
      if (output.length > 200) output.shift();
      opts.log?.(line);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let exited = false;
  const exitedP = new Promise((resolve) =>
    child.on('exit', () => {
      exited = true;
      resolve(undefined);
    }),
  );

  const url = `http://127.0.0.1:${port}`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    signalGroup(child.pid, 'SIGTERM');
    const done = await Promise.race([exitedP.then(() => true), sleep(5000).then(() => false)]);
    if (!done) signalGroup(child.pid, 'SIGKILL');
    // workerd may outlive wrangler for a moment: wait until nobody answers on the port.
    for (let i = 0; i < 50 && (await answers(url)); i++) {
      if (i === 20) signalGroup(child.pid, 'SIGKILL');
      await sleep(100);
    }
    if (ownDir) rmSync(persistDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  while (true) {
    if (exited) {
      await stop();
      throw new Error(`wrangler dev exited before it was ready:\n${output.join('\n')}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev not ready after ${opts.timeoutMs ?? 90_000} ms:\n${output.join('\n')}`);
    }
    try {
      const res = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  return { url, port, inspectorPort, adminToken, persistDir, stop };
}

function signalGroup(pid, signal) {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

async function answers(url) {
  try {
    await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(500) });
    return true;
  } catch {
    return false;
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Registers a site through the admin API and returns its read token; `409` (already there) returns `undefined`. */
export async function registerSite(url, adminToken, site) {
  const res = await fetch(`${url}/v1/admin/sites`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(site),
  });
  if (res.status === 409) return undefined;
  if (res.status !== 201) throw new Error(`registering site ${site.id}: ${res.status} ${await res.text()}`);
  return (await res.json()).read_token;
}

/**
 * Makes sure `siteId` has a webhook to `inboxUrl` receiving every event type; answers its id and secret. `known` is
 * what an earlier run registered (the secret is shown once): kept when it is still there, else a new one is made.
 */
export async function ensureWebhook(url, adminToken, siteId, inboxUrl, known) {
  const headers = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
  const base = `${url}/v1/admin/sites/${encodeURIComponent(siteId)}/webhooks`;
  const list = await fetch(base, { headers });
  if (list.status !== 200) throw new Error(`listing webhooks of ${siteId}: ${list.status} ${await list.text()}`);
  const { webhooks } = await list.json();
  if (known && webhooks.some((w) => w.id === known.id && w.url === inboxUrl)) return known;
  const res = await fetch(base, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      url: inboxUrl,
      events: ['cart.abandoned', 'cart.recovered', 'alert.triggered', 'alert.resolved'],
    }),
  });
  if (res.status !== 201) throw new Error(`registering the inbox webhook: ${res.status} ${await res.text()}`);
  const { id, secret } = await res.json();
  return { id, secret };
}

/**
 * The example shop's surveys (`pnpm dev` adds them to the demo site): a CSAT after a purchase, with no cooldown of its
 * own so that the account page can still ask, and an NPS on the account pages, once a month at most.
 */
export const SHOP_SURVEYS = [
  {
    id: 'post-purchase',
    kind: 'csat',
    question: { en: 'How satisfied are you with your order?', fr: 'Êtes-vous satisfait de votre commande ?' },
    trigger: { after: 'purchase', delay_s: 1 },
    sample_rate: 1,
    cooldown_days: 0,
  },
  {
    id: 'nps-account',
    kind: 'nps',
    question: {
      en: 'How likely are you to recommend Kettle & Crema to a friend?',
      fr: 'Recommanderiez-vous Kettle & Crema à un ami ?',
    },
    trigger: { path: '/account/**', delay_s: 2 },
    sample_rate: 1,
    cooldown_days: 30,
  },
];

/** Adds a survey to a site (docs/PROTOCOL.md "Satisfaction"); one of that id already there is kept as it is. */
export async function addSurvey(url, adminToken, siteId, survey) {
  const res = await fetch(`${url}/v1/admin/sites/${encodeURIComponent(siteId)}/surveys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(survey),
  });
  if (res.status !== 201 && res.status !== 409)
    throw new Error(`adding survey ${survey.id} to ${siteId}: ${res.status} ${await res.text()}`);
}

/** Quotas as high as the admin API allows: for benchmarks and tests that send more than a real site's day. */
export const UNLIMITED_QUOTA = { events_per_day: 1e9, bytes_per_day: 1e12, events_per_visitor_per_day: 1e9 };

/** Issues a new ingest key for a site (what a sender without `Origin` must send as `x-parcours-key`) and returns it. */
export async function rotateIngestKey(url, adminToken, siteId) {
  const res = await fetch(`${url}/v1/admin/sites/${encodeURIComponent(siteId)}/ingest-key`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}` },
  });
  if (res.status !== 200) throw new Error(`rotating the ingest key of ${siteId}: ${res.status} ${await res.text()}`);
  return (await res.json()).ingest_key;
}

/** Rotates a site's read token and returns the new one. */
export async function rotateToken(url, adminToken, siteId) {
  const res = await fetch(`${url}/v1/admin/sites/${encodeURIComponent(siteId)}/token`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}` },
  });
  if (res.status !== 200) throw new Error(`rotating token of ${siteId}: ${res.status} ${await res.text()}`);
  return (await res.json()).read_token;
}
