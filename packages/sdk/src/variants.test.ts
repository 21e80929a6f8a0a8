import { TAG_FEATURES, variantFile } from '@parcours/protocol';
import { describe, expect, it } from 'vitest';
import { FEATURES, VARIANTS } from '../variants.mjs';

describe('variants', () => {
  it('are built under the names the collector resolves a feature list to', () => {
    expect(FEATURES).toEqual([...TAG_FEATURES]);
    for (const { file, features } of VARIANTS) {
      expect(variantFile(features)).toBe(file);
      expect(variantFile([...features].reverse())).toBe(file);
    }
    expect(new Set(VARIANTS.map((v) => v.file)).size).toBe(2 ** TAG_FEATURES.length);
  });
});
