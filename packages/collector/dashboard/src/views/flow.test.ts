// The flow's words when there is no forward move to draw.
import { describe, expect, test } from 'vitest';
import { noForwardNote } from './flow.ts';

const move = (from: string | null, to: string) => ({ from, to, count: 2, visitors: 2, median_ms: null });

describe('noForwardNote', () => {
  test('a site whose visitors all entered at one stage and went nowhere: where they entered, no word of going back', () => {
    expect(noForwardNote([move(null, 'discovery')])).toBe(
      'Visitors entered at discovery and moved to no other stage in this period.',
    );
  });

  test('backward moves only: the table lists them', () => {
    expect(noForwardNote([move(null, 'decision'), move('decision', 'awareness')])).toBe(
      'Only backward moves in this period; see the table.',
    );
  });
});
