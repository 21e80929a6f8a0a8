import { afterEach, describe, expect, it, vi } from 'vitest';
import { pause, TX_DEADLINE, tx } from './idb.ts';

const count = async () => (await tx<number>((s) => s.count()))!;

describe('outbox storage', () => {
  afterEach(() => {
    pause(false);
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('answers a transaction that never completes with undefined once its deadline passes, and works again after', async () => {
    await tx((s) => s.clear());
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    // A transaction whose requests never finish: the shape of WebKit's frozen transaction of a cached page.
    const hung = tx((s) => {
      s.transaction.oncomplete = null;
      Object.defineProperty(s.transaction, 'oncomplete', { set() {} });
      Object.defineProperty(s.transaction, 'onabort', { set() {} });
      Object.defineProperty(s.transaction, 'onerror', { set() {} });
      return s.put('x', 'hung');
    });
    await vi.advanceTimersByTimeAsync(TX_DEADLINE + 1);
    await expect(hung).resolves.toBeUndefined();
    vi.useRealTimers();
    await tx((s) => s.put('y', 'after'));
    expect(await tx<string>((s) => s.get('after'))).toBe('y');
  });

  it('answers undefined when the connection is lost, never rejecting, and opens it anew on the next use', async () => {
    await tx((s) => s.count());
    const open = vi.spyOn(indexedDB, 'open');
    const lost = vi.spyOn(IDBDatabase.prototype, 'transaction').mockImplementation(() => {
      throw new DOMException('Connection to Indexed Database server lost', 'InvalidStateError');
    });
    await expect(tx((s) => s.put('z', 'z'))).resolves.toBeUndefined();
    lost.mockRestore();
    expect(await tx<IDBValidKey>((s) => s.put('z', 'z'))).toBe('z');
    expect(open).toHaveBeenCalledTimes(1);
  });

  it('while the page is hidden for good, starts no transaction and aborts the one under way', async () => {
    await tx((s) => s.clear());
    const before = await count();
    const running = tx((s) => s.put('v', 'running'));
    pause(true);
    expect(await running).toBeUndefined();
    expect(await tx((s) => s.put('w', 'paused'))).toBeUndefined();
    pause(false);
    expect(await count()).toBe(before);
  });
});
