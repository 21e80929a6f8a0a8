// What one request costs the collector's processes, stage by stage, one client: the floor every batch pays before
// anything is stored, and the whole request. Shared by the ingestion bench ("Where the time goes") and the hosts
// comparison of queue-bench.ts (`--compare=host`).
import { listenerGroup, processNames, withGroupCpu } from './collector-cpu.ts';
import { postAll } from './load-client.ts';
import type { WireBatch } from './traffic.ts';

/** One stage's mean cost per request: wall time, CPU of the collector's processes, and that CPU by process name. */
interface StageCpu {
  wallMs: number;
  cpuMs: number;
  byName: Record<string, number>;
}

/**
 * `GET /v1/health` (the runtime's HTTP path alone); the batches for an unknown site (+ body, JSON, one D1 read, the
 * rate limiter: refused with 403); the batches with every event rejected (+ validation, nothing stored); the whole
 * request (stored, derived). The batches must be fresh (never sent): the last stage stores them.
 */
export interface RequestFloor {
  health: StageCpu;
  unknownSite: StageCpu;
  allRejected: StageCpu;
  whole: StageCpu;
}

/** Measures each stage of RequestFloor over `batches` of `site`, one request after another. */
export async function requestFloor(
  collector: { url: string; port: number },
  site: string,
  batches: WireBatch[],
): Promise<RequestFloor> {
  const group = listenerGroup(collector.port);
  const names = group === undefined ? undefined : processNames(group, collector.port);
  const count = batches.length;
  const stage = async (work: () => Promise<unknown>): Promise<StageCpu> => {
    const start = performance.now();
    const { cpuMs, byName } = await withGroupCpu(group, work, names);
    const perRequest = Object.fromEntries(Object.entries(byName).map(([name, ms]) => [name, ms / count]));
    return { wallMs: (performance.now() - start) / count, cpuMs: cpuMs / count, byName: perRequest };
  };
  // Events whose stage the site does not know: parsed, validated and rejected one by one; nothing stored.
  const rejected = batches.map((b) => ({ ...b, body: b.body.replaceAll('"stage":"', '"stage":"x') }));
  const unknown = batches.map((b) => ({ ...b, body: b.body.replace(`"site":"${site}"`, '"site":"nobody-here"') }));
  const allRejected = await stage(() => postAll(collector.url, rejected, 1));
  const unknownSite = await stage(() => postAll(collector.url, unknown, 1));
  const health = await stage(async () => {
    for (let i = 0; i < count; i++) await (await fetch(`${collector.url}/v1/health`)).arrayBuffer();
  });
  const whole = await stage(() => postAll(collector.url, batches, 1));
  return { health, unknownSite, allRejected, whole };
}
