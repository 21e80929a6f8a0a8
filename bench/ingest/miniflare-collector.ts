// The collector run by Miniflare directly (miniflare-host.ts) instead of `wrangler dev`: the same bundle a deploy
// uploads, the same workerd, local D1 and Queues, without wrangler's proxy worker. Started like
// scripts/collector-process.mjs starts `wrangler dev` (a migrated local D1, the same vars), in a process group of its
// own, so that collector-cpu.ts reads the CPU of the host's node and its workerd alone.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COLLECTOR_DIR, freePort, migrate, type RunningCollector } from '../../scripts/collector-process.mjs';

const HOST = fileURLToPath(new URL('miniflare-host.ts', import.meta.url));
const QUIET_ENV = { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

/**
 * Bundles the collector as `wrangler deploy --dry-run` does (wrangler.jsonc, nodejs_compat; no account, no network)
 * into `outDir`; answers the bundle's path. The assets are not served here: an empty `public/` will do.
 */
export function bundleCollector(outDir: string, collectorDir = COLLECTOR_DIR): string {
  mkdirSync(join(collectorDir, 'public'), { recursive: true });
  const wrangler = ['--filter', '@parcours/collector', 'exec', 'wrangler'];
  const r = spawnSync('pnpm', [...wrangler, 'deploy', '--dry-run', '--outdir', outDir], {
    cwd: collectorDir,
    env: { ...process.env, ...QUIET_ENV },
    encoding: 'utf8',
  });
  const bundle = join(outDir, 'index.js');
  if (r.status !== 0 || !existsSync(bundle))
    throw new Error(`bundling the collector failed:\n${r.stdout}\n${r.stderr}`);
  return bundle;
}

interface MiniflareOptions {
  /** The bundle from bundleCollector. */
  bundle: string;
  /** The checkout whose wrangler.jsonc and migrations go with the bundle (compare-ingest.ts: a base commit's). */
  checkout?: { COLLECTOR_DIR: string; migrate(persistDir: string): void };
  ingest?: 'direct' | 'queue';
  vars?: Record<string, string>;
}

/** Starts the collector under Miniflare alone (with its DevTools inspector) and resolves once `GET /v1/health` answers 200. */
export async function startMiniflareCollector(opts: MiniflareOptions): Promise<RunningCollector> {
  const port = await freePort();
  const inspectorPort = await freePort();
  const persistDir = mkdtempSync(join(tmpdir(), 'parcours-mf-'));
  const adminToken = `admin-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const checkout = opts.checkout ?? { COLLECTOR_DIR, migrate };
  checkout.migrate(persistDir);
  const vars = {
    ADMIN_TOKEN: adminToken,
    PARCOURS_LOCAL_DEV: 'true',
    ...(opts.ingest ? { INGEST: opts.ingest } : {}),
    ...opts.vars,
  };
  const child = spawn(
    process.execPath,
    [
      HOST,
      `--collector=${checkout.COLLECTOR_DIR}`,
      `--bundle=${opts.bundle}`,
      `--persist=${persistDir}`,
      `--port=${port}`,
      `--vars=${JSON.stringify(vars)}`,
      `--inspector=${inspectorPort}`,
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...QUIET_ENV } },
  );
  const output: string[] = [];
  const keep = (buf: Buffer) => {
    output.push(...String(buf).split('\n').filter(Boolean));
    output.splice(0, Math.max(0, output.length - 100));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    signalGroup(child.pid, 'SIGTERM');
    const done = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
    if (!done) signalGroup(child.pid, 'SIGKILL');
    rmSync(persistDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`Miniflare did not start:\n${output.join('\n')}`);
    }
    try {
      if ((await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(2000) })).status === 200) break;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  return { url, port, inspectorPort, adminToken, persistDir, stop };
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  try {
    if (pid) process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
