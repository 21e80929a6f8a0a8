// Small values kept across pages (visitor, session, customer, consent) in localStorage, in memory when it is unavailable.
import { on } from './guard.ts';

const mem: Record<string, string | undefined> = {};
// What this page last read or wrote of each key, for the reads of every event (`recall`): localStorage is the slowest
// part of an event otherwise. Another tab's write (a `storage` event), or the page's return from the back/forward
// cache (where it may have missed some), makes every key be read again.
let known: Record<string, string | undefined> = {};
on('storage pageshow', () => (known = {}));

/** Reads `key`, or writes `value` to it and returns it. Never throws (private modes, blocked storage). */
export const store = (key: string, value?: string): string | undefined => {
  try {
    // Index access: our keys (pc*) never collide with Storage's own members.
    value == null ? (value = localStorage[key]) : (localStorage[key] = value);
  } catch {}
  // Read: what localStorage held, else the memory copy. Write: both.
  mem[key] = value ?? mem[key];
  return (known[key] = mem[key]);
};

/**
 * Reads `key` as `store` does, from this page's copy once it has one: as fresh as another tab's last write this page
 * was told of. For the reads of every event, never under a lock (a lock's next holder may not have been told yet).
 */
export const recall = (key: string): string | undefined => (key in known ? known[key] : store(key));
