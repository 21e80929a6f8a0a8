// The flow chart's stage labels: cut to their column, and never two alike.
import { describe, expect, test } from 'vitest';
import { nodeLabels } from './flow.ts';

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
