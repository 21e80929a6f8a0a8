// A CPU profile of the collector's worker under load, through wrangler dev's DevTools inspector: where its isolate spends the time.
interface WorkerProfileEntry {
  name: string;
  /** `worker` (the collector's bundle), `runtime` (workerd's built-in modules such as the D1 client) or `native`. */
  where: string;
  selfMs: number;
  share: number;
}

export interface WorkerProfile {
  wallMs: number;
  /** Share of the wall time the worker's isolate was not idle. */
  busyShare: number;
  /** Share of the busy time by kind: the collector's code, workerd's D1 client, other runtime modules, engine/host. */
  kinds: Record<string, number>;
  top: WorkerProfileEntry[];
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string } }>;
  samples: number[];
  timeDeltas: number[];
}

// Wrangler's inspector proxy accepts DevTools frontends by Origin only.
const DEVTOOLS_ORIGIN = 'https://devtools.devprod.cloudflare.dev';

/**
 * Profiles the worker while `run` runs (100 µs sampling) and returns its busy share and the top self-time functions.
 * `target`: the inspector target's id (under Miniflare alone every worker of its workerd is one, e.g. `d1:db`, the
 * local D1 simulator); default the first, the collector's.
 */
export async function profileWorker(
  inspectorPort: number,
  run: () => Promise<unknown>,
  top = 10,
  target?: string,
): Promise<WorkerProfile> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as Array<{
    id: string;
    webSocketDebuggerUrl: string;
  }>;
  const url = (target === undefined ? targets[0] : targets.find((t) => t.id === target))?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target ${target ?? ''}`);
  // Node's WebSocket takes headers as an extension of the standard constructor.
  const Ctor = WebSocket as unknown as new (u: string, o: { headers: Record<string, string> }) => WebSocket;
  const ws = new Ctor(url, { headers: { origin: DEVTOOLS_ORIGIN } });
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error('inspector connection refused'));
  });
  let next = 0;
  const pending = new Map<number, (v: unknown) => void>();
  ws.onmessage = (m) => {
    const d = JSON.parse(String(m.data)) as { id?: number; result?: unknown };
    if (d.id !== undefined) pending.get(d.id)?.(d.result);
  };
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve) => {
      const id = ++next;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  try {
    await send('Profiler.enable');
    await send('Profiler.setSamplingInterval', { interval: 100 });
    await send('Profiler.start');
    const start = performance.now();
    await run();
    const wallMs = performance.now() - start;
    const { profile } = (await send('Profiler.stop')) as { profile: CpuProfile };
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map<string, WorkerProfileEntry>();
    let total = 0;
    let idle = 0;
    profile.samples.forEach((id, i) => {
      const dt = (profile.timeDeltas[i] ?? 0) / 1000;
      total += dt;
      const { functionName, url: file } = byId.get(id)!.callFrame;
      if (functionName === '(idle)') {
        idle += dt;
        return;
      }
      const where = !file
        ? 'native'
        : file.startsWith('cloudflare-internal:') || file.startsWith('node:')
          ? `runtime (${file})`
          : 'worker';
      const name = functionName || '(anonymous)';
      const key = `${name}|${where}`;
      const e = self.get(key) ?? { name, where, selfMs: 0, share: 0 };
      e.selfMs += dt;
      self.set(key, e);
    });
    const all = [...self.values()];
    const busy = total - idle;
    const kinds: Record<string, number> = {};
    for (const e of all) {
      const kind =
        e.where === 'worker'
          ? 'collector code'
          : e.where.includes('d1-api')
            ? 'D1 client (runtime)'
            : e.where.startsWith('runtime')
              ? 'other runtime modules'
              : 'engine and host (native, GC)';
      kinds[kind] = (kinds[kind] ?? 0) + (busy ? e.selfMs / busy : 0);
    }
    const entries = all.sort((a, b) => b.selfMs - a.selfMs).slice(0, top);
    for (const e of entries) e.share = busy ? e.selfMs / busy : 0;
    return { wallMs, busyShare: total ? Math.min(1, busy / wallMs) : 0, kinds, top: entries };
  } finally {
    ws.close();
  }
}
