// The tarpit's bounds: answers held per client and per isolate, each for HOLD_MS (the holds of refused senders'
// requests are tested through the worker in refusals.test.ts).
import { describe, expect, it, vi } from 'vitest';
import { HOLD_MS, holdClient, MAX_HELD, MAX_HELD_PER_CLIENT } from './tarpit.ts';

describe('the holds', () => {
  it(`are at most MAX_HELD_PER_CLIENT per client and MAX_HELD in all, each released after HOLD_MS`, async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout'] });
    try {
      const client = `client-${crypto.randomUUID()}`;
      const holds = Array.from({ length: MAX_HELD_PER_CLIENT }, () => holdClient(client));
      // Past its share, the client's next answer is not held; another client's is.
      expect(await holdClient(client)).toBe(false);
      const another = holdClient(`another-${crypto.randomUUID()}`);
      await vi.advanceTimersByTimeAsync(HOLD_MS);
      expect(await Promise.all(holds)).toEqual(Array(MAX_HELD_PER_CLIENT).fill(true));
      expect(await another).toBe(true);

      // A hold whose request was cancelled (never resumed) counts until its release time only.
      void holdClient(client);
      vi.advanceTimersByTime(HOLD_MS + 1);
      const again = Array.from({ length: MAX_HELD_PER_CLIENT }, () => holdClient(client));
      await vi.advanceTimersByTimeAsync(HOLD_MS);
      expect(await Promise.all(again)).toEqual(Array(MAX_HELD_PER_CLIENT).fill(true));

      // The isolate's bound, over many clients.
      const many = Array.from({ length: MAX_HELD }, (_, i) => holdClient(`many-${i}-${crypto.randomUUID()}`));
      expect(await holdClient(`one-more-${crypto.randomUUID()}`)).toBe(false);
      await vi.advanceTimersByTimeAsync(HOLD_MS);
      expect((await Promise.all(many)).every(Boolean)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
