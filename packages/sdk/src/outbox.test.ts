import type { WireEvent } from '@parcours/protocol';
import { VALID_EVENTS } from '@parcours/protocol/fixtures';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { tx } from './idb.ts';
import { configure } from './options.ts';
import { empty, live, OUTBOX_CAP, OUTBOX_MAX_AGE, put, release, restore, save, waiting } from './outbox.ts';

const event = (id: string, ts = Date.now()): WireEvent => ({ ...VALID_EVENTS[0]!, id, ts });
const stored = async () => (await tx<WireEvent[]>((s) => s.getAll()))!;
const settle = () => new Promise((r) => setTimeout(r, 50));

describe('outbox', () => {
  beforeEach(() => empty());

  it('keeps each event in IndexedDB until it is released', async () => {
    put(event('a', Date.now() - 2));
    put(event('b', Date.now() - 1));
    await settle();
    expect((await stored()).map((e) => e.id).sort()).toEqual(['a', 'b']);
    expect((await waiting())[0].map((e) => e.id)).toEqual(['a', 'b']);
    await release(['a']);
    expect((await stored()).map((e) => e.id)).toEqual(['b']);
    expect((await waiting())[0].map((e) => e.id)).toEqual(['b']);
    expect(live().map((e) => e.id)).toEqual(['b']);
  });

  it('sends what another tab or an earlier page left in the database', async () => {
    await tx((s) => s.put(event('earlier', Date.now() - 5), 'earlier'));
    expect((await waiting())[0].map((e) => e.id)).toEqual(['earlier']);
    expect(live()).toEqual([]);
  });

  it('forgets its memory copy once another tab had the event acknowledged', async () => {
    put(event('shared'));
    await settle();
    await tx((s) => s.delete('shared'));
    expect((await waiting())[0]).toEqual([]);
    expect(live()).toEqual([]);
  });

  it('still sends its memory copy of stored events when the database cannot be read', async () => {
    put(event('kept'));
    await settle();
    const lost = vi.spyOn(IDBDatabase.prototype, 'transaction').mockImplementation(() => {
      throw new DOMException('Connection to Indexed Database server lost', 'InvalidStateError');
    });
    try {
      expect((await waiting())[0].map((e) => e.id)).toEqual(['kept']);
    } finally {
      lost.mockRestore();
    }
  });

  it('drops the oldest events past the cap and reports how many until told it was reported', async () => {
    const now = Date.now();
    for (let i = 0; i < OUTBOX_CAP + 5; i++) put(event(`c${i}`, now - 10_000 + i));
    await settle();
    const [list, lost] = await waiting();
    expect(lost).toBe(5);
    expect(list).toHaveLength(OUTBOX_CAP);
    expect(list[0]!.id).toBe('c5');
    expect((await stored()).length).toBe(OUTBOX_CAP);
    await release([], 5);
    expect((await waiting())[1]).toBe(0);
  });

  it('drops events older than the age cap', async () => {
    put(event('old', Date.now() - OUTBOX_MAX_AGE - 1));
    put(event('new'));
    const [list, lost] = await waiting();
    expect(list.map((e) => e.id)).toEqual(['new']);
    expect(lost).toBe(1);
  });

  it('keeps the unreported drop count where the next page of the site finds it, not in the closing tab', async () => {
    put(event('stale', Date.now() - OUTBOX_MAX_AGE - 1));
    expect((await waiting())[1]).toBe(1);
    // A later page of the site is a new copy of the script: nothing of this tab's memory survives.
    vi.resetModules();
    const next = await import('./outbox.ts');
    expect((await next.waiting())[1]).toBe(1);
    await next.release([], 1);
    expect((await waiting())[1]).toBe(0);
  });
});

describe('outbox copy in localStorage', () => {
  beforeEach(() => {
    configure({ site: 'shop' }, 'https://collector.example');
  });

  it("saves the waiting events synchronously, and a later page moves another page's copy into its outbox", async () => {
    await empty();
    put(event('leave-1'));
    save(live());
    const key = Object.keys(localStorage).find((k) => k.startsWith('pcq'))!;
    expect(JSON.parse(localStorage[key]).map((e: WireEvent) => e.id)).toEqual(['leave-1']);
    // What a closed page left: a copy under another key.
    localStorage.setItem('pcq-closed-page', JSON.stringify([event('closed-1')]));
    restore();
    expect(Object.keys(localStorage).filter((k) => k.startsWith('pcq'))).toEqual([]);
    expect((await waiting())[0].map((e) => e.id).sort()).toEqual(['closed-1', 'leave-1']);
  });

  it('forgets a copy it cannot read without losing the copies after it', async () => {
    await empty();
    localStorage.setItem('pcq-a-torn-copy', '[{"id":');
    localStorage.setItem('pcq-not-a-list', '{}');
    localStorage.setItem('pcq-z-closed-page', JSON.stringify([event('closed-2')]));
    restore();
    expect(Object.keys(localStorage).filter((k) => k.startsWith('pcq'))).toEqual([]);
    expect((await waiting())[0].map((e) => e.id)).toEqual(['closed-2']);
  });

  it.each([
    ['consent withdrawn', () => localStorage.setItem('pco', '0'), () => localStorage.setItem('pco', '1')],
    [
      'Do Not Track',
      () => Object.defineProperty(navigator, 'doNotTrack', { value: '1', configurable: true }),
      () => Object.defineProperty(navigator, 'doNotTrack', { value: null, configurable: true }),
    ],
  ])("with %s, forgets closed pages' copies without requeuing them", async (_, turnOff, turnOn) => {
    await empty();
    localStorage.setItem('pcq-closed-page', JSON.stringify([event('closed-3')]));
    turnOff();
    try {
      restore();
    } finally {
      turnOn();
    }
    expect(Object.keys(localStorage).filter((k) => k.startsWith('pcq'))).toEqual([]);
    expect((await waiting())[0]).toEqual([]);
  });
});
