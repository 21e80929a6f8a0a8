// The flow's words when there is no forward move to draw, and its stage labels: cut to their column, never two alike.
import { describe, expect, test } from 'vitest';
import { nodeLabels, noForwardNote } from './flow.ts';

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

const stages = (names: string[]) => names.map((label, i) => ({ label, place: i + 1 }));

describe('flow labels', () => {
  test('names that fit, or still differ once cut, read as they are', () => {
    expect(nodeLabels([{ label: 'Entry' }, ...stages(['awareness', 'consideration', 'decision'])], 8)).toEqual([
      'Entry',
      'awarene…',
      'conside…',
      'decision',
    ]);
  });

  test('names that cutting makes alike are told apart by their place in the journey', () => {
    const ten = stages(Array.from({ length: 10 }, (_, i) => `step-${String(i + 1).padStart(2, '0')}-page`));
    const labels = nodeLabels([{ label: 'Entry' }, ...ten], 6);
    expect(labels.slice(0, 3)).toEqual(['Entry', '1 ste…', '2 ste…']);
    expect(labels[10]).toBe('10 st…');
    expect(new Set(labels).size).toBe(labels.length);
    expect(labels.every((l) => l.length <= 6)).toBe(true);
  });
});
