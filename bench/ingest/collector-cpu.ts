// CPU time used by the collector's processes (wrangler dev's node and workerd), read from /proc: the shared machine's load moves it far less than wall time.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';

/** CPU milliseconds used so far by each process of a process group, by pid. */
export type CpuReading = Map<string, number>;

const TICK_MS = 10; // /proc/<pid>/stat counts in clock ticks of 1/100 s (USER_HZ) on Linux.

function statFields(pid: string): string[] | undefined {
  try {
    // The command name is in parentheses and may hold spaces: the fields that matter come after it.
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  } catch {
    return undefined;
  }
}

const pids = () => readdirSync('/proc').filter((d) => /^\d+$/.test(d));

/** The process listening on 127.0.0.1:`port`, or undefined where /proc does not tell (not Linux). */
function listenerPid(port: number): string | undefined {
  try {
    const hex = port.toString(16).toUpperCase().padStart(4, '0');
    const inodes = new Set<string>();
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        // local_address is HEXIP:HEXPORT, state 0A is LISTEN, inode is the tenth field.
        if (f[1]?.endsWith(`:${hex}`) && f[3] === '0A') inodes.add(f[9]!);
      }
    }
    for (const pid of pids()) {
      let fds: string[];
      try {
        fds = readdirSync(`/proc/${pid}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        let link = '';
        try {
          link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          continue;
        }
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m && inodes.has(m[1]!)) return pid;
      }
    }
  } catch {
    // No /proc: no CPU figures.
  }
  return undefined;
}

/**
 * The process group of whoever listens on 127.0.0.1:`port` (workerd; wrangler dev starts its processes
 * in one group), or undefined where /proc does not tell (not Linux).
 */
export function listenerGroup(port: number): number | undefined {
  const pid = listenerPid(port);
  return pid === undefined ? undefined : Number(statFields(pid)?.[2]);
}

/**
 * A name for each process of a group: its executable (workerd, node, esbuild, ...), "workerd answering the port"
 * for the one that listens on `port` (under `wrangler dev`, its proxy worker's workerd; the user worker's is another).
 */
export function processNames(pgid: number, port: number): Map<string, string> {
  const listener = listenerPid(port);
  const names = new Map<string, string>();
  for (const pid of readGroupCpu(pgid).keys()) {
    let name = 'unknown';
    try {
      // The executable's name from argv[0] (a thread name such as node's "MainThread" is what `comm` would give).
      name = basename(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]!) || name;
    } catch {
      // ended meanwhile
    }
    names.set(pid, pid === listener ? `${name} answering the port` : name);
  }
  return names;
}

/** The CPU milliseconds between two readings, summed by process name (`processNames`). */
function cpuByName(before: CpuReading, after: CpuReading, names: Map<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [pid, ms] of after) {
    const name = names.get(pid) ?? 'started meanwhile';
    out[name] = (out[name] ?? 0) + ms - (before.get(pid) ?? 0);
  }
  return out;
}

/** CPU used so far by every process of the group. */
export function readGroupCpu(pgid: number): CpuReading {
  const out: CpuReading = new Map();
  for (const pid of pids()) {
    const f = statFields(pid);
    if (f && Number(f[2]) === pgid) out.set(pid, (Number(f[11]) + Number(f[12])) * TICK_MS);
  }
  return out;
}

/** CPU milliseconds the group used between two readings; NaN when one of its processes ended meanwhile (its time is lost). */
export function cpuBetween(before: CpuReading, after: CpuReading): number {
  for (const pid of before.keys()) if (!after.has(pid)) return Number.NaN;
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

/**
 * Runs `work` and answers its result with the CPU milliseconds the group used meanwhile (NaN when unknown) and, given
 * the processes' `names`, the same split by process name.
 */
export async function withGroupCpu<T>(
  pgid: number | undefined,
  work: () => Promise<T>,
  names?: Map<string, string>,
): Promise<{ result: T; cpuMs: number; byName: Record<string, number> }> {
  if (pgid === undefined) return { result: await work(), cpuMs: Number.NaN, byName: {} };
  const before = readGroupCpu(pgid);
  const result = await work();
  const after = readGroupCpu(pgid);
  return { result, cpuMs: cpuBetween(before, after), byName: names ? cpuByName(before, after, names) : {} };
}
