// The forms report's `fields` from the form_fields rows the events' triggers keep: equal to the same numbers computed
// here from the events sent, for a form whose fields all tie (every median ranked in one pass) and one cut at its
// first MAX_FORM_FIELDS by errors (medians read at an offset), without and with a filter.
import type { FormField, FormsReport, WireEvent } from '@parcours/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerSite } from '../../test/helpers.ts';
import { report, send, wire } from '../../test/test-support.ts';
import { byFieldRank, MAX_FORM_FIELDS, median } from './forms.ts';

const at = Date.now() - 3_600_000;
let site: { id: string; token: string };
const sent: Array<{ landing: string; event: WireEvent }> = [];

/** Entries of `fields`: hesitations spread so that medians differ, every seventh untimed. */
const entry = (name: string, i: number, errors: number) => ({
  field: name,
  ...(i % 7 === 3 ? {} : { hesitation_ms: ((i * 7919) % 5000) + 100 }),
  refocuses: i % 3,
  errors,
});

beforeAll(async () => {
  site = await registerSite();
  const events: WireEvent[] = [];
  for (let v = 0; v < 28; v++) {
    const visitor = `v${v}`;
    const landing = v % 2 ? '/in-x' : '/in-y';
    const base = { visitor, session: `s${v}`, stage: 'decision' } as const;
    const form = (i: number, e: Record<string, unknown>) =>
      wire({ ...base, ts: at + v * 10_000 + i * 1000, ...e } as never);
    const own = [
      wire({ ...base, type: 'page_view', path: landing, ts: at + v * 10_000 }),
      // 'big': 140 fields, 20 per event, all without errors: a tie far past the first 20.
      form(1, {
        type: v % 4 ? 'form_submit' : 'form_abandon',
        ...(v % 4 ? {} : { last_field: `f${(v * 20) % 140}` }),
        path: '/checkout',
        form: 'big',
        fields: Array.from({ length: 20 }, (_, k) => entry(`f${(v * 20 + k) % 140}`, v + k, 0)),
      }),
      // 'small': 25 fields, errors set by the field, so its first 20 are known before hesitation.
      form(2, {
        type: 'form_submit',
        path: '/signup',
        form: 'small',
        fields: Array.from({ length: 20 }, (_, k) => entry(`g${(v + k) % 25}`, v * 3 + k, ((v + k) % 25) % 6)),
      }),
    ];
    events.push(...own);
    for (const event of own) sent.push({ landing, event });
  }
  expect(await send(site.id, events)).toMatchObject({ accepted: events.length, rejected: [] });
});

/** A form's `fields` computed from the events sent (those of sessions landing on `landing`, if given). */
function expected(form: string, landing?: string): FormField[] {
  const kept = sent.filter((s) => (!landing || s.landing === landing) && s.event.form === form).map((s) => s.event);
  const byName = new Map<string, { hesitations: number[]; refocuses: number; errors: number }>();
  for (const e of kept)
    for (const f of e.fields ?? []) {
      const one = byName.get(f.field) ?? { hesitations: [], refocuses: 0, errors: 0 };
      byName.set(f.field, one);
      if (f.hesitation_ms != null) one.hesitations.push(f.hesitation_ms);
      one.refocuses += f.refocuses ?? 0;
      one.errors += f.errors ?? 0;
    }
  const abandonsAt = (field: string) => kept.filter((e) => e.type === 'form_abandon' && e.last_field === field).length;
  return [...byName]
    .map(([field, f]) => ({
      field,
      hesitation_ms: median(f.hesitations),
      refocuses: f.refocuses,
      errors: f.errors,
      abandons: abandonsAt(field),
    }))
    .sort(byFieldRank)
    .slice(0, MAX_FORM_FIELDS);
}

describe('forms: fields from form_fields', () => {
  it('lists each form its first fields with the medians, sums and abandons of its events', async () => {
    const r = await report<FormsReport>(site, 'forms');
    const fields = Object.fromEntries(r.forms.map((f) => [f.form, f.fields]));
    expect(fields.big).toHaveLength(MAX_FORM_FIELDS);
    expect(fields.big).toEqual(expected('big'));
    expect(fields.small).toEqual(expected('small'));
  });

  it('counts only the entries of matching sessions with a filter', async () => {
    const r = await report<FormsReport>(site, 'forms', { landing: '/in-x' });
    const fields = Object.fromEntries(r.forms.map((f) => [f.form, f.fields]));
    expect(fields.big).toEqual(expected('big', '/in-x'));
    expect(fields.small).toEqual(expected('small', '/in-x'));
    expect(fields.small).not.toEqual(expected('small'));
  });
});
