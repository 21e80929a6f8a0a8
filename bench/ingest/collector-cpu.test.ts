// The collector CPU reading, tried on this very process: it listens on a port and burns CPU on purpose.
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { cpuBetween, listenerGroup, processNames, readGroupCpu, withGroupCpu } from './collector-cpu.ts';

const ownGroup = () => Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[2]);
const linux = process.platform === 'linux';

describe.runIf(linux)('CPU time of the process group listening on a port', () => {
  it('finds the group of whoever listens on the port', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      expect(listenerGroup((server.address() as AddressInfo).port)).toBe(ownGroup());
    } finally {
      server.close();
    }
  });

  it("names each process of the group by its executable, the port's listener apart", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const names = processNames(ownGroup(), (server.address() as AddressInfo).port);
      expect(names.get(String(process.pid))).toMatch(/^node answering the port$/);
      // Other processes of the group (vitest's own, if any) do not listen on that port.
      for (const [pid, name] of names) if (pid !== String(process.pid)) expect(name).not.toMatch(/answering the port/);
    } finally {
      server.close();
    }
  });

  it('counts the CPU the group spends, this process included', async () => {
    // Burns 200 ms of this process's own CPU (not of wall time: a loaded machine gives less CPU per second).
    const ownCpuMs = () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    };
    const start = ownCpuMs();
    const { cpuMs } = await withGroupCpu(ownGroup(), async () => {
      let x = 0;
      while (ownCpuMs() - start < 200) x += Math.sqrt(x + 1);
      return x;
    });
    // The group's reading comes from /proc in clock ticks (10 ms): at least what this process alone spent, less a tick.
    expect(cpuMs).toBeGreaterThanOrEqual(190);
    expect(cpuMs).toBeLessThan(5_000);
  });

  it('answers NaN when a process of the group ended between the readings', () => {
    const before = new Map([
      ['1', 10],
      ['2', 20],
    ]);
    expect(cpuBetween(before, new Map([['1', 15]]))).toBeNaN();
    expect(
      cpuBetween(
        before,
        new Map([
          ['1', 15],
          ['2', 25],
          ['3', 5],
        ]),
      ),
    ).toBe(15);
    expect(readGroupCpu(ownGroup()).has(String(process.pid))).toBe(true);
  });
});
