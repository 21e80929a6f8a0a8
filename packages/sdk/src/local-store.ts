// Small values kept across pages (visitor, session, customer, consent) in localStorage, in memory when it is unavailable.
const mem: Record<string, string> = {};

/** Reads `key`, or writes `value` to it and returns it. Never throws (private modes, blocked storage). */
export function store(key: string, value?: string): string | undefined {
  try {
    if (value === undefined) return localStorage.getItem(key) ?? mem[key];
    localStorage.setItem(key, value);
  } catch {}
  return value === undefined ? mem[key] : (mem[key] = value);
}
