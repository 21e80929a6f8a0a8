// The one seeded PRNG of synthetic traffic: the same seed always gives the same history.

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** An integer in [lo, hi], both included. */
  int(lo: number, hi: number): number;
  pick<T>(list: readonly T[]): T;
  /** A version-4-shaped UUID made of this generator's numbers (not crypto-random). */
  uuid(): string;
}

/** mulberry32 (a tiny 32-bit PRNG) with the helpers the journey model draws with. */
export function createRandom(seed: number): Random {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  /** 8 hex digits: all 32 bits of one draw. */
  const hex8 = (): string =>
    Math.floor(next() * 4294967296)
      .toString(16)
      .padStart(8, '0');
  return {
    next,
    chance: (p) => next() < p,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)] as (typeof list)[number],
    uuid: () => {
      const h = hex8() + hex8() + hex8() + hex8();
      const variant = ((Number.parseInt(h.slice(16, 17), 16) & 3) | 8).toString(16);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20)}`;
    },
  };
}
