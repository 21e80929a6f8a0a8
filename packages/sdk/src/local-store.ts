// Small values kept across pages (visitor, session, customer, consent) in localStorage, in memory when it is unavailable.
const mem: Record<string, string> = {};

/** Reads `key`, or writes `value` to it and returns it. Never throws (private modes, blocked storage). */
export function store(key: string, value?: string): string | undefined {
  try {
    // Index access: our keys (pc*) never collide with Storage's own members.
    if (value === undefined) return localStorage[key] ?? mem[key];
    localStorage[key] = value;
  } catch {}
  return value === undefined ? mem[key] : (mem[key] = value);
}
