// Forms: form_start, form_submit and form_abandon from field events, never reading a field's value.
import { after, on } from './guard.ts';

type Emit = (type: string, fields: Record<string, unknown>) => void;

/** Fields and forms inside it are not watched. */
const IGNORE = '[data-parcours-ignore]';

/** A form's name: its `id`, else `name`, else its action path, else its position among the page's forms. */
export function formName(f: HTMLFormElement): string {
  // Attributes, not properties: a field named `id`, `name` or `action` shadows the form's property.
  // URL reads its base as a string: `location` is its href.
  const a = (k: string) => f.getAttribute(k);
  return a('id') || a('name') || (a('action') && new URL(a('action')!, location as never).pathname) || 'form-' + [...document.forms].indexOf(f);
}

/**
 * Watches every form of the page and returns the function that sends `form_abandon` for every
 * started, unsubmitted form (page left for good, SPA route change). A form starts at the first
 * `input` in one of its fields; `submit` events (real submits, `requestSubmit()`) and
 * programmatic `form.submit()` end it. Fields and forms inside `[data-parcours-ignore]` are not watched.
 * `last_field` is the field's `name` or `id`, `fields_touched` counts the fields typed in (named or not): a field's value is never read.
 */
export function watchForms(emit: Emit): () => void {
  // form → [start time, fields typed in, last field touched]
  const started = new Map<HTMLFormElement, [number, Set<Element>, string?]>();
  const fields = (e: Event) => {
    const el = e.target as HTMLInputElement;
    const f = el.form;
    if (!f || el.closest(IGNORE)) return;
    let s = started.get(f);
    if (e.type == 'input') {
      if (!s) {
        started.set(f, (s = [Date.now(), new Set()]));
        emit('form_start', { form: formName(f) });
      }
      s[1].add(el);
    }
    if (s) s[2] = el.name || el.id || s[2];
  };
  const submitted = (f: HTMLFormElement) => {
    if (f.closest(IGNORE)) return;
    const s = started.get(f);
    started.delete(f);
    emit('form_submit', { form: formName(f), duration_ms: s && Date.now() - s[0] });
  };
  // `input` fires for every kind of field (text, select, checkbox, radio, file), so `change` adds nothing.
  on('input focusin', fields);
  on('submit', (e) => submitted(e.target));
  // form.submit() fires no submit event: catch it at the prototype.
  after(HTMLFormElement.prototype, 'submit', submitted);
  return () => {
    for (const [f, [t, touched, last]] of started) {
      started.delete(f);
      emit('form_abandon', { form: formName(f), last_field: last, fields_touched: touched.size, duration_ms: Date.now() - t });
    }
  };
}
