// The forms panel's notes: where people stop, hesitate, come back and fail.
import { describe, expect, test } from 'vitest';
import type { FormsReport } from '../types.ts';
import { fieldNote } from './forms.ts';

type Form = FormsReport['forms'][number];
const form = (fields: Form['fields']): Form => ({
  form: 'checkout',
  path: '/checkout',
  starts: 3,
  submits: 1,
  abandons: 2,
  abandon_rate: 2 / 3,
  last_fields: [],
  fields,
});

describe('fieldNote', () => {
  test('names the field people hesitate on longest, fail at most and come back to most', () => {
    const note = fieldNote(
      form([
        { field: 'coupon', hesitation_ms: 5000, refocuses: 3, errors: 3, abandons: 2 },
        { field: 'email', hesitation_ms: 2000, refocuses: 1, errors: 0, abandons: 0 },
        { field: 'card', hesitation_ms: null, refocuses: 4, errors: 1, abandons: 0 },
      ]),
    );
    expect(note).toMatch(
      /^Hesitate longest at coupon \(.+\) · fail at coupon \(3 errors\) · come back to card \(4 times\)$/,
    );
  });

  test('says nothing without per-field figures, or when nobody hesitated, failed or came back', () => {
    expect(fieldNote(form([]))).toBe('');
    expect(fieldNote(form([{ field: 'email', hesitation_ms: null, refocuses: 0, errors: 0, abandons: 1 }]))).toBe('');
  });
});
