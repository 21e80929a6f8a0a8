// Forms: the abandon rate of each form as a bar, and the fields where people stop.
import { dataDetails, table } from '../data-table.ts';
import { fill, h } from '../dom.ts';
import { count, duration, percent, readablePath } from '../format.ts';
import type { FormsReport } from '../types.ts';

type Form = FormsReport['forms'][number];
type FormField = Form['fields'][number];

/** The fields where people stop, most abandons first: "email (12), phone (3)". */
function stopFields(f: Form, max = 3): string {
  const fields = [...f.last_fields].sort((a, b) => b.abandons - a.abandons);
  if (!fields.length) return '–';
  const shown = fields.slice(0, max).map((x) => `${x.field} (${count(x.abandons)})`);
  return fields.length > max ? `${shown.join(', ')}, +${fields.length - max} more` : shown.join(', ');
}

/**
 * Which field makes people stop and think, come back, or fail (from the per-field figures the script's forms with
 * friction send): "Hesitate longest at coupon (5 s) · fail at coupon (3 errors) · come back to card (2 times)"; empty
 * when the form has none.
 */
export function fieldNote(f: Form): string {
  const fields = f.fields ?? [];
  // The field with the highest `value`, if any is above 0.
  const most = (value: (x: FormField) => number) =>
    fields.reduce<FormField | undefined>((best, x) => (value(x) > (best ? value(best) : 0) ? x : best), undefined);
  const parts: string[] = [];
  const slow = most((x) => x.hesitation_ms ?? 0);
  if (slow) parts.push(`hesitate longest at ${slow.field} (${duration(slow.hesitation_ms)})`);
  const failing = most((x) => x.errors);
  if (failing)
    parts.push(`fail at ${failing.field} (${count(failing.errors)} ${failing.errors === 1 ? 'error' : 'errors'})`);
  const back = most((x) => x.refocuses);
  if (back)
    parts.push(`come back to ${back.field} (${count(back.refocuses)} ${back.refocuses === 1 ? 'time' : 'times'})`);
  const text = parts.join(' · ');
  return text && text.charAt(0).toUpperCase() + text.slice(1);
}

/** The forms, highest abandon rate first, then most abandons. */
function worstFirst(report: FormsReport): Form[] {
  return [...report.forms].sort((a, b) => b.abandon_rate - a.abandon_rate || b.abandons - a.abandons);
}

/** Draws the forms into `root`, worst abandon rate first. */
export function renderForms(root: Element, report: FormsReport): void {
  if (!report.forms.length) {
    fill(root, h('p', { class: 'empty' }, 'No form was started in this period.'));
    return;
  }
  const forms = worstFirst(report);
  const list = h('ul', { class: 'bars' });
  for (const f of forms) {
    const label = `${f.form}: ${percent(f.abandon_rate)} abandoned (${count(f.abandons)} of ${count(f.starts)} starts)`;
    list.append(
      h(
        'li',
        {},
        h(
          'div',
          { class: 'bar-head' },
          h('span', {}, h('strong', {}, f.form), ' ', h('span', { class: 'path muted' }, readablePath(f.path))),
          h('strong', {}, percent(f.abandon_rate)),
        ),
        h(
          'div',
          { class: 'bar-track', role: 'img', 'aria-label': label, title: label },
          h('div', { class: 'bar-fill', style: `width:${(f.abandon_rate * 100).toFixed(2)}%` }),
        ),
        h(
          'div',
          { class: 'bar-note' },
          `${count(f.starts)} started · ${count(f.submits)} submitted · ${count(f.abandons)} abandoned`,
          f.last_fields.length ? h('span', {}, h('br'), 'People stop at: ', h('strong', {}, stopFields(f))) : null,
          fieldNote(f) ? h('span', {}, h('br'), fieldNote(f)) : null,
        ),
      ),
    );
  }
  fill(
    root,
    list,
    dataDetails(
      'forms',
      'Forms, highest abandon rate first',
      [
        { head: 'Form', cell: (f) => f.form },
        { head: 'Page', cell: (f) => h('span', { class: 'path' }, readablePath(f.path)) },
        { head: 'Starts', num: true, cell: (f) => count(f.starts) },
        { head: 'Submits', num: true, cell: (f) => count(f.submits) },
        { head: 'Abandons', num: true, cell: (f) => count(f.abandons) },
        { head: 'Abandon rate', num: true, cell: (f) => percent(f.abandon_rate) },
        { head: 'Fields where people stop', cell: (f) => stopFields(f, 20) },
      ],
      forms,
    ),
  );
}

/** What makes a field stand out in its form: the longest hesitation, the most refocuses, errors or abandons. */
function standsOut(field: FormField, form: Form): string {
  const top = (value: (x: FormField) => number) =>
    value(field) > 0 && form.fields.every((x) => value(x) <= value(field));
  return [
    top((x) => x.hesitation_ms ?? 0) ? 'longest hesitation' : '',
    top((x) => x.refocuses) ? 'most returned to' : '',
    top((x) => x.errors) ? 'most errors' : '',
    top((x) => x.abandons) ? 'most abandons' : '',
  ]
    .filter(Boolean)
    .join(', ');
}

/** Draws every field of every form with its figures into `root`, worst form first, naming what makes a field stand out. */
export function renderFormFields(root: Element, report: FormsReport): void {
  const forms = worstFirst(report);
  const rows = forms.flatMap((form) => (form.fields ?? []).map((field) => ({ form, field })));
  if (!rows.length) {
    fill(
      root,
      h(
        'p',
        { class: 'empty' },
        'No form in this period sent per-field figures (the script sends them with friction on).',
      ),
    );
    return;
  }
  fill(
    root,
    h(
      'div',
      { class: 'scroll' },
      table(
        'form-fields',
        'Per field: median time from focus to first input, times focused again, validation errors, abandons at it',
        [
          { head: 'Form', cell: (r) => r.form.form },
          { head: 'Field', cell: (r) => h('code', {}, r.field.field) },
          { head: 'Hesitation (median)', num: true, cell: (r) => duration(r.field.hesitation_ms) },
          { head: 'Refocuses', num: true, cell: (r) => count(r.field.refocuses) },
          { head: 'Errors', num: true, cell: (r) => count(r.field.errors) },
          { head: 'Abandons here', num: true, cell: (r) => count(r.field.abandons) },
          { head: 'Stands out', cell: (r) => h('span', { class: 'reason' }, standsOut(r.field, r.form)) },
        ],
        rows,
      ),
    ),
  );
}
