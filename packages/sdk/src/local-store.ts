// Small values kept across pages (visitor, session, customer, consent) in localStorage, in memory when it is unavailable.
const mem: Record<string, string | undefined> = {};

/** Reads `key`, or writes `value` to it and returns it. Never throws (private modes, blocked storage). */
export const store = (key: string, value?: string): string | undefined => {
  try {
    // Index access: our keys (pc*) never collide with Storage's own members.
    value == null ? (value = localStorage[key]) : (localStorage[key] = value);
  } catch {}
  // Read: what localStorage held, else the memory copy. Write: both.
  return (mem[key] = value ?? mem[key]);
};
