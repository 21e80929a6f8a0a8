import { VALID_EVENTS } from '@parcours/protocol/fixtures';
import { describe, expect, it } from 'vitest';
import { live, put, release, waiting } from './outbox.ts';

describe('outbox without IndexedDB', () => {
  it('keeps working from memory', async () => {
    (globalThis as { indexedDB?: unknown }).indexedDB = undefined;
    put({ ...VALID_EVENTS[0]!, id: 'm1', ts: Date.now() - 1 });
    put({ ...VALID_EVENTS[1]!, id: 'm2', ts: Date.now() });
    expect((await waiting())[0].map((e) => e.id)).toEqual(['m1', 'm2']);
    await release(['m1']);
    expect(live().map((e) => e.id)).toEqual(['m2']);
  });
});
