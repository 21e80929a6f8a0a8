// `pnpm dev`: starts everything, prints the URLs and the demo token, seeds once, and Ctrl-C leaves no port held.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ROOT, freePort, shownPath } from '../scripts/collector-process.mjs';

const state = mkdtempSync(join(tmpdir(), 'parcours-dev-state-'));
let ports: number[] = [];
let child: ChildProcess | undefined;

interface Run {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

/** Starts `scripts/dev.mjs` (assets as already built by the global setup, a small seed) and waits for its banner. */
async function startOnce(): Promise<Run> {
  let out = '';
  child = spawn(
    process.execPath,
    ['scripts/dev.mjs', '--no-build', '--visitors', '120', '--ports', ports.join(','), '--state', state],
    {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const c = child;
  c.stdout!.on('data', (b) => (out += String(b)));
  c.stderr!.on('data', (b) => (out += String(b)));
  const exited = new Promise<number | null>((r) => c.on('exit', (code) => r(code)));
  const deadline = Date.now() + 120_000;
  while (!/demo read token\s+\S+/.test(out)) {
    if (c.exitCode !== null || Date.now() > deadline) throw new PortsOrStartError(out);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child: c, out: () => out, exited };
}

class PortsOrStartError extends Error {
  readonly portTaken: boolean;
  constructor(out: string) {
    super(`pnpm dev did not start:\n${out}`);
    this.portTaken = /EADDRINUSE|address already in use/i.test(out);
  }
}

/**
 * Starts `pnpm dev`, again if a port was taken between `freePort()` and the bind (other test files start collectors on
 * free ports at the same time): with fresh ports when `newPorts` is true, else with the same ones after a pause.
 */
async function startDev({ newPorts }: { newPorts: boolean }): Promise<Run> {
  for (let attempt = 1; ; attempt++) {
    if (newPorts) ports = [await freePort(), await freePort(), await freePort(), await freePort()];
    try {
      return await startOnce();
    } catch (error) {
      if (!(error instanceof PortsOrStartError && error.portTaken) || attempt === 3) throw error;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

/** Ctrl-C: SIGINT to the foreground process, as a terminal sends it. */
async function ctrlC(run: Run): Promise<number | null> {
  run.child.kill('SIGINT');
  return run.exited;
}

const listening = async (port: number) => {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
};

afterAll(async () => {
  // Only if a test failed half-way: stop what is left of the run (its process group), then its state.
  if (child && child.exitCode === null && child.pid) {
    try {
      process.kill(-child.pid, 'SIGINT');
    } catch {}
    await new Promise((r) => setTimeout(r, 5000));
  }
  rmSync(state, { recursive: true, force: true });
});

describe('pnpm dev', () => {
  test('prints a folder inside the repository relative to it, any other in full', () => {
    // ROOT ends with a separator: the default state folder was printed in full, unlike the README's banner.
    expect(shownPath(join(ROOT, 'packages', 'collector', '.wrangler', 'state'))).toBe(
      join('packages', 'collector', '.wrangler', 'state'),
    );
    expect(shownPath(state)).toBe(state);
    expect(shownPath(join(ROOT, '..', 'elsewhere'))).toBe(join(ROOT, '..', 'elsewhere'));
  });

  let token = '';

  test('starts the collector, the shop and the SPA, seeds the demo site and prints where everything is', async () => {
    const run = await startDev({ newPorts: true });
    const [collector, shop, spa, inbox] = ports.map((p) => `http://127.0.0.1:${p}`);
    const out = run.out();
    expect(out).toContain(`shop        ${shop}/`);
    expect(out).toContain(`shop (SPA)  ${spa}/`);
    expect(out).toContain(`dashboard   ${collector}/`);
    expect(out).toContain(`webhooks    ${inbox}/webhooks`);
    expect(out).toContain(`curl ${collector}/__scheduled`);
    expect(out).toMatch(/seeding 120 synthetic visitors/);
    // A state folder outside the repository is printed as it is (it was cut to "tmp/parcours-dev-state-…").
    expect(out).toContain(`local database    ${state}   (kept across restarts)`);
    token = /demo read token\s+(\S+)/.exec(out)![1]!;

    // The shop's pages carry the tag for this collector and the demo site; the SPA answers every route.
    const home = await (await fetch(`${shop}/`)).text();
    expect(home).toContain(
      `<script async src="${collector}/parcours.js" data-site="demo" data-endpoint="${collector}"></script>`,
    );
    expect(await (await fetch(`${spa}/products/mug`)).text()).toContain('/app.js');
    expect((await fetch(`${collector}/parcours.js`)).status).toBe(200);
    expect((await fetch(`${collector}/`)).headers.get('content-type')).toContain('text/html');
    // The printed token reads the seeded history.
    const funnel = (await (
      await fetch(`${collector}/v1/sites/demo/funnel`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as {
      stages: Array<{ visitors: number }>;
    };
    expect(funnel.stages[0]!.visitors).toBeGreaterThan(50);

    expect(await ctrlC(run)).toBe(0);
    for (const p of ports) expect(await listening(p), `port ${p} still answers after Ctrl-C`).toBe(false);
  });

  test('a restart keeps the data and the token and does not seed twice; Ctrl-C again leaves no port held', async () => {
    const run = await startDev({ newPorts: false });
    expect(run.out()).toContain(`demo read token   ${token}`);
    expect(run.out()).not.toMatch(/seeding/);
    const collector = `http://127.0.0.1:${ports[0]}`;
    const carts = await fetch(`${collector}/v1/sites/demo/carts`, { headers: { authorization: `Bearer ${token}` } });
    expect(carts.status).toBe(200);
    expect(((await carts.json()) as { carts: { started: number } }).carts.started).toBeGreaterThan(0);
    // The inbox's webhook of the first run is kept, not registered a second time.
    const hooks = await fetch(`${collector}/v1/admin/sites/demo/webhooks`, {
      headers: { authorization: 'Bearer dev-admin-token' },
    });
    const { webhooks } = (await hooks.json()) as { webhooks: Array<{ url: string }> };
    expect(webhooks.map((w) => w.url)).toEqual([`http://127.0.0.1:${ports[3]}/webhooks`]);
    expect(await ctrlC(run)).toBe(0);
    for (const p of ports) expect(await listening(p)).toBe(false);
  });
});
