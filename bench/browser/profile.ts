// Where the main-thread time of track() calls goes: a Chromium CPU profile of the call loop, self time per function.
import type { Page } from 'playwright-core';

export interface ProfileEntry {
  name: string;
  /** Script file and position, or "browser" for native code. */
  where: string;
  selfMs: number;
  /** Share of all the time spent inside the calls. */
  share: number;
}

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: CpuNode[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Profiles `run` (which must call the tracker from a function named `frame`) and returns the functions
 * that took the most self time below that frame, i.e. inside the tracker's calls.
 */
export async function profileBelow(
  page: Page,
  frame: string,
  run: () => Promise<unknown>,
  top = 8,
): Promise<ProfileEntry[]> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 50 });
  await cdp.send('Profiler.start');
  await run();
  const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: CpuProfile };
  await cdp.detach();

  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inside = new Map<number, boolean>();
  const isInside = (id: number): boolean => {
    const known = inside.get(id);
    if (known !== undefined) return known;
    const p = parent.get(id);
    const v = p !== undefined && (byId.get(p)!.callFrame.functionName === frame || isInside(p));
    inside.set(id, v);
    return v;
  };
  const self = new Map<string, { name: string; where: string; us: number }>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    if (!isInside(id)) return;
    const { functionName, url, lineNumber, columnNumber } = byId.get(id)!.callFrame;
    const file = url ? url.slice(url.lastIndexOf('/') + 1) : '';
    const where = file ? `${file}:${lineNumber + 1}:${columnNumber + 1}` : 'browser';
    const name = functionName || '(anonymous)';
    const key = `${name}@${where}`;
    const e = self.get(key) ?? { name, where, us: 0 };
    e.us += profile.timeDeltas[i] ?? 0;
    total += profile.timeDeltas[i] ?? 0;
    self.set(key, e);
  });
  return [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({ name: e.name, where: e.where, selfMs: e.us / 1000, share: total ? e.us / total : 0 }));
}
