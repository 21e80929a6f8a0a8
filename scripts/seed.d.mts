// Types of seed.mjs, for the TypeScript tests and benches.
export interface SeedEvent {
  id: string;
  type: string;
  ts: number;
  stage: string;
  visitor: string;
  session: string;
  url: string;
  [field: string]: unknown;
}
export interface Journey {
  visitor: string;
  userAgent: string;
  events: SeedEvent[];
}
export interface SeedTotals {
  visitors: number;
  events: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  batches: number;
}
export declare function createRandom(seed: number): { next(): number; chance(p: number): boolean; int(lo: number, hi: number): number; pick<T>(list: T[]): T; uuid(): string };
export declare function generateJourneys(opts: { origin: string; visitors?: number; seed?: number; now?: number }): Journey[];
export declare function seed(opts: { url: string; site: string; origin: string; visitors?: number; seed?: number; now?: number; onProgress?: (t: SeedTotals) => void }): Promise<SeedTotals>;
