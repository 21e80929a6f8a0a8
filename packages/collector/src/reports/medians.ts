// Exact medians of a site of several shards without sending every value (REPORTS.md "Sites of several shards"). Two
// rounds: each shard sends, per key, its count and a few of its values at evenly spaced ranks (a sample); from those the
// Worker bounds the median's value between two sample values [lo, hi] (windowsFor); each shard then sends only its
// count of values below lo and its values within [lo, hi] (sliceValues), from which the Worker picks the middle ones.
// A shard whose sample holds all its values sends nothing more, and a key none of whose shards has more is answered
// from the samples alone.
import { median } from './forms.ts';

/** Values a shard samples per key: the window a median is looked for in holds about 2/SAMPLES of the values. */
export const SAMPLES = 128;

/** A shard's values of one key: how many (`n`), and the values at min(n, samples) evenly spaced ranks (first and last included). */
export interface Sample {
  n: number;
  at: number[];
}

/** The values a shard is asked for, per key: those from `lo` to `hi` (both included). */
export interface Window {
  lo: number;
  hi: number;
}

/** A shard's answer for one window: how many of its values are below `lo`, and its values within the window, in order. */
export interface Slice {
  below: number;
  inside: number[];
}

/** The rank (0-based, in value order) of the `i`th of `m` sampled values out of `n`. */
const rankOf = (i: number, n: number, m: number) => (m === 1 ? 0 : Math.floor((i * (n - 1)) / (m - 1)));

/** A sample holding every value of its shard: nothing more to ask. */
const whole = (s: Sample) => s.at.length === s.n;

const byValue = (a: number, b: number) => a - b;

/** Each key's values sorted (in place, the order round 2 reads them in) and sampled. */
export function sampleValues(values: Record<string, number[]>, samples = SAMPLES): Record<string, Sample> {
  const out: Record<string, Sample> = {};
  for (const [key, list] of Object.entries(values)) {
    list.sort(byValue);
    const m = Math.min(list.length, Math.max(2, samples));
    out[key] = { n: list.length, at: Array.from({ length: m }, (_, i) => list[rankOf(i, list.length, m)]!) };
  }
  return out;
}

/** The first of indexes 0..length-1 where `holds` (false up to some index, true from there on), or `length`. */
function firstWhere(length: number, holds: (i: number) => boolean): number {
  let [low, high] = [0, length];
  while (low < high) {
    const mid = (low + high) >> 1;
    if (holds(mid)) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** The first index of sorted `list` whose value is >= `x` (`strict`: > x). */
const firstFrom = (list: readonly number[], x: number, strict: boolean) =>
  firstWhere(list.length, (i) => (strict ? list[i]! > x : list[i]! >= x));

/** The most values below `x` a shard can hold given its sample: the rank of its first sampled value >= x (n if none). */
function mostBelow(s: Sample, x: number): number {
  const i = firstFrom(s.at, x, false);
  return i < s.at.length ? rankOf(i, s.n, s.at.length) : s.n;
}

/** The fewest values <= `x` a shard can hold given its sample: one past the rank of its last sampled value <= x. */
function leastUpTo(s: Sample, x: number): number {
  const i = firstFrom(s.at, x, true);
  return i > 0 ? rankOf(i - 1, s.n, s.at.length) + 1 : 0;
}

/** The ranks (0-based, over all values) of the middle value, or the two middle ones of an even count. */
function middleRanks(total: number): [number, number] {
  const mid = total >> 1;
  return [total % 2 ? mid : mid - 1, mid];
}

/**
 * The window that holds the middle values of one key over all shards. `lo` is the largest sampled value below which
 * at most the lower middle rank of values can lie (so that value is >= lo); `hi` the smallest sampled value up to which
 * at least one more than the upper middle rank must lie (so that value is <= hi). Both sums grow with x: binary search.
 */
function windowOf(samples: Sample[]): Window {
  const values = [...new Set(samples.flatMap((s) => s.at))].sort(byValue);
  const [lower, upper] = middleRanks(samples.reduce((n, s) => n + s.n, 0));
  const sum = (count: (s: Sample, x: number) => number, x: number) => samples.reduce((n, s) => n + count(s, x), 0);
  // The smallest value qualifies as lo (nothing lies below it), the largest as hi (everything lies up to it).
  const lo = values[firstWhere(values.length, (i) => sum(mostBelow, values[i]!) > lower) - 1]!;
  const hi = values[firstWhere(values.length, (i) => sum(leastUpTo, values[i]!) > upper)]!;
  return { lo, hi };
}

/** Per key that some shard has not sent whole, the window of its middle values: what round 2 asks. */
export function windowsFor(shards: Array<Record<string, Sample>>): Record<string, Window> {
  const keys = new Set(shards.flatMap((s) => Object.keys(s)));
  const out: Record<string, Window> = {};
  for (const key of keys) {
    const samples = shards.flatMap((s) => (s[key] ? [s[key]] : []));
    if (!samples.every(whole)) out[key] = windowOf(samples);
  }
  return out;
}

/** The windows one shard must answer: those of the keys it has not sent whole. */
export function windowsOfShard(
  samples: Record<string, Sample>,
  windows: Record<string, Window>,
): Record<string, Window> {
  return Object.fromEntries(Object.entries(windows).filter(([key]) => samples[key] && !whole(samples[key])));
}

/** A shard's slice of each window from its sorted values (sampleValues sorted them). */
export function sliceValues(values: Record<string, number[]>, windows: Record<string, Window>): Record<string, Slice> {
  const out: Record<string, Slice> = {};
  for (const [key, { lo, hi }] of Object.entries(windows)) {
    const list = values[key] ?? [];
    const below = firstFrom(list, lo, false);
    out[key] = { below, inside: list.slice(below, firstFrom(list, hi, true)) };
  }
  return out;
}

/** One shard's part of a median: its sample, and its slices of round 2 (for the keys it has not sent whole). */
export interface ShardMedians {
  samples: Record<string, Sample>;
  slices?: Record<string, Slice>;
}

/**
 * The exact median of `key` over every shard's values, as forms.ts takes it (the middle value, or the mean of the two
 * middle ones), or null for none. A shard's whole sample is its slice of the window.
 */
export function medianOf(shards: ShardMedians[], key: string): number | null {
  const parts = shards.flatMap(({ samples, slices }) =>
    samples[key] ? [{ s: samples[key], slice: slices?.[key] }] : [],
  );
  const total = parts.reduce((n, p) => n + p.s.n, 0);
  if (!total) return null;
  if (parts.every((p) => whole(p.s))) return median(parts.flatMap((p) => p.s.at));
  const window = windowOf(parts.map((p) => p.s));
  const slices = parts.map(({ s, slice }) => slice ?? sliceValues({ w: s.at }, { w: window }).w!);
  const below = slices.reduce((n, s) => n + s.below, 0);
  const inside = slices.flatMap((s) => s.inside).sort(byValue);
  // The window holds both middle ranks whenever the slices were read from the values sampled (a shard answers round 2
  // from the values it kept); one that had to read its values again after writes could miss: its nearest value then.
  const at = (rank: number) => inside[Math.min(Math.max(rank - below, 0), inside.length - 1)] ?? window.lo;
  const [lower, upper] = middleRanks(total);
  return median(lower === upper ? [at(lower)] : [at(lower), at(upper)]);
}
