// Forms: form_start, form_submit and form_abandon from field events, never reading a field's value; with the friction
// feature too, each form event carries its fields' hesitation, refocuses and validation errors.
import { fieldName, formName, IGNORE } from './form-name.ts';
import { after, guard, on } from './guard.ts';

export { formName } from './form-name.ts';

type Emit = (type: string, fields: Record<string, unknown>) => void;

/** Most fields listed in a form event's `fields` (protocol MAX_FIELDS). */
const MAX_FIELDS = 20;

/** A started form: when, the fields typed in, the last field focused or typed in. */
interface Started {
  at: number;
  typed: Set<Element>;
  lastField?: string;
}

/** Friction: one field of a form, from its first focus: its entry of `fields` (protocol FieldStats), and when. */
interface FieldStats {
  field: string;
  hesitation_ms?: number;
  refocuses: number;
  errors: number;
  focusedAt: number;
}

const started = new Map<HTMLFormElement, Started>();
// Forms whose submit event was counted and not started again since: their form.submit() is the same submission
// (jQuery Validate's way: the submit event prevented, the fields checked, then the form sent by code).
const announced = new WeakSet<HTMLFormElement>();
// Friction: each form's fields by name, from the first focus of one of them (before the form starts).
const fieldsOf = new Map<HTMLFormElement, Map<string, FieldStats>>();

/** The watched field of an event, with its form and name; undefined for anything else. */
function fieldOf(target: EventTarget | null): [HTMLInputElement, HTMLFormElement, string] | undefined {
  const field = target as HTMLInputElement;
  const form = field?.form;
  if (form && !field.closest(IGNORE)) return [field, form, fieldName(field)];
}

/** Friction: counts a validation error of `field` (a field_error) in its form's `fields`. */
export function countFieldError(field: Element): void {
  const [, form, name] = fieldOf(field) || [];
  const stats = form && fieldsOf.get(form)?.get(name!);
  if (stats) stats.errors++;
}

/** The `fields` of a form event (friction only), and forgets them. */
function takeFields(form: HTMLFormElement) {
  if (!FEATURE_FRICTION) return;
  const fields = fieldsOf.get(form);
  fieldsOf.delete(form);
  if (fields) return [...fields.values()].slice(0, MAX_FIELDS).map(({ focusedAt, ...entry }) => entry);
}

/**
 * Watches every form of the page and returns the function that sends `form_abandon` for every
 * started, unsubmitted form (page left for good, SPA route change). A form starts at the first
 * `input` in one of its fields; `submit` events (real submits, `requestSubmit()`) and
 * programmatic `form.submit()` end it. Fields and forms inside `[data-parcours-ignore]` are not watched.
 * `last_field` is the field's `name` or `id`, `fields_touched` counts the fields typed in (named or not): a field's value is never read.
 */
export function watchForms(emit: Emit): () => void {
  const fieldEvent = (e: Event) => {
    // The field itself, also inside a shadow root (web components), where e.target here is the component's host; or,
    // for a form-associated component whose inner input belongs to no form, the component (its `form` getter). Not a
    // fieldset, legend or label around the target (each has a `form` too: a link in a legend, a hint in a label
    // wrapping its field), nor the document (`document.form` is a `<form name="form">`, and it has no `closest`).
    const [field, form, name] =
      fieldOf(
        e.composedPath().find((node: any) => node.form && node.closest && !node.matches('fieldset,legend,label'))!,
      ) || [];
    if (!form) return;
    // A submit does not leave its shadow root: listened to there too (once: the same listener is added only once).
    const root = form.getRootNode();
    if (root != document) root.addEventListener('submit', onSubmit, true);
    const now = Date.now();
    let state = started.get(form);
    if (e.type == 'input') {
      if (!state) {
        started.set(form, (state = { at: now, typed: new Set() }));
        announced.delete(form);
        emit('form_start', { form: formName(form) });
      }
      state.typed.add(field!);
    }
    if (state) state.lastField = name || state.lastField;
    // Per field: fields people fill in, not the buttons of the form.
    if (FEATURE_FRICTION && name && !/^(submit|button|reset|image)$/.test(field!.type)) {
      const fields = fieldsOf.get(form) || new Map<string, FieldStats>();
      fieldsOf.set(form, fields);
      const stats = fields.get(name);
      // Typed in without a focus first (a script, an autofill): no hesitation.
      if (!stats)
        fields.set(name, {
          field: name,
          hesitation_ms: e.type == 'input' ? 0 : undefined,
          refocuses: 0,
          errors: 0,
          focusedAt: now,
        });
      else if (e.type == 'input') stats.hesitation_ms ??= now - stats.focusedAt;
      else stats.refocuses++;
    }
  };
  const submitted = (form: HTMLFormElement) => {
    if (form.closest(IGNORE)) return;
    const state = started.get(form);
    started.delete(form);
    emit('form_submit', {
      form: formName(form),
      duration_ms: state && Date.now() - state.at,
      fields: takeFields(form),
    });
  };
  const onSubmit = guard((e: Event) => {
    announced.add(e.target as HTMLFormElement);
    submitted(e.target as HTMLFormElement);
  });
  // `input` fires for every kind of field (text, select, checkbox, radio, file), so `change` adds nothing.
  on('input focusin', fieldEvent);
  addEventListener('submit', onSubmit, true);
  // form.submit() fires no submit event: catch it at the prototype.
  after(HTMLFormElement.prototype, 'submit', (form: HTMLFormElement) => announced.has(form) || submitted(form));
  return () => {
    for (const [form, state] of started) {
      started.delete(form);
      emit('form_abandon', {
        form: formName(form),
        last_field: state.lastField,
        fields_touched: state.typed.size,
        duration_ms: Date.now() - state.at,
        fields: takeFields(form),
      });
    }
  };
}
