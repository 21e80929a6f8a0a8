// The two-round median of a site of several shards (medians.ts) against a plain sort of every value: random lists, with
// ties, of odd and even counts, split at random over 1 to 64 shards (some of them empty), sampled more or less finely.
import { createRandom } from '@parcours/traffic';
import { describe, expect, it } from 'vitest';
import { median } from './forms.ts';
import { medianOf, sampleValues, type ShardMedians, sliceValues, windowsFor, windowsOfShard } from './medians.ts';

/** What the Worker sees of `parts` (one value list per shard, key `k`): samples, then each shard's slices. */
function twoRounds(parts: number[][], samples?: number) {
  const kept = parts.map((list) => ({ k: [...list] }));
  const sampled = kept.map((values) => sampleValues(values, samples));
  const windows = windowsFor(sampled);
  const shards: ShardMedians[] = sampled.map((s, i) => {
    const asked = windowsOfShard(s, windows);
    return Object.keys(asked).length ? { samples: s, slices: sliceValues(kept[i]!, asked) } : { samples: s };
  });
  const sent = shards.reduce(
    (n, s) =>
      n + (s.samples.k?.at.length ?? 0) + Object.values(s.slices ?? {}).reduce((m, x) => m + x.inside.length, 0),
    0,
  );
  return { median: medianOf(shards, 'k'), sent, asked: Object.keys(windows).length > 0 };
}

describe('medians across shards', () => {
  it('equal the median of all the values sorted together, ties and empty shards included', () => {
    const random = createRandom(15);
    let askedTwice = 0;
    for (let run = 0; run < 2000; run++) {
      const count = random.int(0, run % 10 ? 300 : 3000);
      // Few distinct values (many ties), or spread ones.
      const spread = random.pick([1, 3, 10, 1000, 1_000_000]);
      const values = Array.from({ length: count }, () => random.int(0, spread));
      const parts: number[][] = Array.from({ length: random.int(1, 64) }, () => []);
      for (const v of values) parts[random.int(0, parts.length - 1)]!.push(v);
      const samples = random.pick([2, 3, 5, 16, 128]);
      const got = twoRounds(parts, samples);
      expect(got.median, `run ${run}: ${count} values over ${parts.length} shards, ${samples} samples`).toBe(
        median([...values]),
      );
      if (got.asked) askedTwice++;
    }
    // Most runs needed the second round (a shard with more values than its sample): it is what is under test.
    expect(askedTwice).toBeGreaterThan(1000);
  });

  it('answers from the samples alone when every shard sent all its values', () => {
    const got = twoRounds([[5, 1], [], [3, 9, 7]]);
    expect(got).toEqual({ median: 5, sent: 5, asked: false });
    expect(twoRounds([[2], [4]]).median).toBe(3);
    expect(twoRounds([[], []]).median).toBeNull();
  });

  it('sends a small share of the values of a large site', () => {
    const random = createRandom(8);
    const parts = Array.from({ length: 8 }, () => Array.from({ length: 50_000 }, () => random.int(0, 600_000)));
    const got = twoRounds(parts);
    expect(got.median).toBe(median(parts.flat()));
    // 8 samples of 128 and each shard's values in a window of about 2/128 of them, instead of 400,000 values.
    expect(got.sent).toBeLessThan(400_000 / 16);
  });
});
