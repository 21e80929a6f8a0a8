import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formName, watchForms } from './form-tracking.ts';

type Sent = [string, Record<string, unknown>];
const sent: Sent[] = [];
// One watcher for the file: it listens on document, as the script does.
const abandon = watchForms((type, fields) => void sent.push([type, fields]));
let valueReads = 0;

/**
 * A form whose fields count every read of `value` made directly by the script's code (the caller's
 * frame names its source; the DOM's own reads, for validation and submission, do not count): it must never read one.
 */
function form(html: string): HTMLFormElement {
  document.body.innerHTML = html;
  for (const el of document.querySelectorAll('input, textarea, select'))
    Object.defineProperty(el, 'value', {
      get: () => (
        /form-tracking\.ts|tracker\.ts|guard\.ts/.test(new Error().stack!.split('\n')[2]!) && valueReads++,
        'secret@example.com'
      ),
      set: () => {},
      configurable: true,
    });
  return document.querySelector('form')!;
}
const type = (el: Element) => el.dispatchEvent(new Event('input', { bubbles: true }));
const focus = (el: Element) => el.dispatchEvent(new FocusEvent('focusin', { bubbles: true }));

describe('form tracking', () => {
  beforeEach(() => {
    sent.length = 0;
    valueReads = 0;
  });
  afterEach(() => {
    abandon();
    expect(valueReads).toBe(0);
  });

  it('sends form_start at the first input, then form_submit with the time spent on a real submit', () => {
    const f = form('<form id="signup"><input name="email"><input name="name"><button>Go</button></form>');
    f.addEventListener('submit', (e) => e.preventDefault());
    const [email, name] = f.querySelectorAll('input');
    type(email!);
    type(email!);
    type(name!);
    f.querySelector('button')!.click();
    expect(sent.map(([t]) => t)).toEqual(['form_start', 'form_submit']);
    expect(sent[0]![1]).toEqual({ form: 'signup' });
    expect(sent[1]![1]).toMatchObject({ form: 'signup' });
    expect(sent[1]![1].duration_ms).toBeGreaterThanOrEqual(0);
  });

  it('catches requestSubmit() and a programmatic form.submit()', () => {
    const f = form('<form name="quote" action="/quote/send"><input name="company"></form>');
    f.addEventListener('submit', (e) => e.preventDefault());
    type(f.querySelector('input')!);
    f.requestSubmit();
    type(f.querySelector('input')!);
    f.submit();
    expect(sent.map(([t, x]) => [t, x.form])).toEqual([
      ['form_start', 'quote'],
      ['form_submit', 'quote'],
      ['form_start', 'quote'],
      ['form_submit', 'quote'],
    ]);
  });

  it('sends one form_abandon for a started form left unsubmitted, with the last field and how many were touched', () => {
    const f = form('<form action="/checkout/pay"><input name="email"><input id="card"><input name="zip"></form>');
    const [email, card, zip] = f.querySelectorAll('input');
    type(email!);
    type(card!);
    focus(zip!);
    abandon();
    abandon();
    expect(sent.map(([t]) => t)).toEqual(['form_start', 'form_abandon']);
    expect(sent[1]![1]).toMatchObject({ form: '/checkout/pay', last_field: 'zip', fields_touched: 2 });
  });

  it('takes no fieldset, legend or label around a field, nor an editor or focusable element in them, for a field', () => {
    const f = form(
      '<form id="pay"><fieldset name="billing"><legend id="billing-title">Billing <a href="#help" id="why">why?</a></legend>' +
        '<label id="hint">Card <div tabindex="0" id="help">?</div></label><input name="card"><div contenteditable id="note"></div>' +
        '<label id="zip-label">Zip <input name="zip"> <span tabindex="0" id="zip-help">?</span></label></fieldset></form>',
    );
    type(f.querySelector('[name=card]')!);
    // In a legend, and in a label wrapping its field: both have the field's form as their `form`.
    for (const focusable of ['#help', '#why', '#zip-help']) focus(f.querySelector(focusable)!);
    type(f.querySelector('#note')!);
    abandon();
    expect(sent.map(([t]) => t)).toEqual(['form_start', 'form_abandon']);
    expect(sent[1]![1]).toMatchObject({ form: 'pay', last_field: 'card', fields_touched: 1 });
    expect((sent[1]![1].fields as Array<{ field: string }>).map((x) => x.field)).toEqual(['card']);
  });

  it('sends nothing for a form focused but never typed in, or submitted forms', () => {
    const f = form('<form id="search"><input name="q"></form>');
    focus(f.querySelector('input')!);
    abandon();
    expect(sent).toEqual([]);
  });

  it('skips fields and forms marked data-parcours-ignore', () => {
    const f = form(
      '<form id="pay"><input name="card" data-parcours-ignore><input name="email"></form><form id="secret" data-parcours-ignore><input name="pin"></form>',
    );
    type(f.querySelector('[name=card]')!);
    type(document.querySelector('[name=pin]')!);
    expect(sent).toEqual([]);
    type(f.querySelector('[name=email]')!);
    abandon();
    expect(sent.map(([t]) => t)).toEqual(['form_start', 'form_abandon']);
    expect(sent[1]![1]).toMatchObject({ last_field: 'email', fields_touched: 1 });
  });

  it('watches a form inside a shadow root (a web component): start, submit, and its name among the forms of that root', () => {
    document.body.innerHTML = '<form id="light"></form><div id="host"></div>';
    const root = document.getElementById('host')!.attachShadow({ mode: 'open' });
    root.innerHTML = '<form><input name="q"><input id="email"><button>Go</button></form>';
    const f = root.querySelector('form')!;
    f.addEventListener('submit', (e) => e.preventDefault());
    const [q, email] = f.querySelectorAll('input');
    // Input and focus cross the shadow boundary (composed), seen from outside as events of the host; submit does not.
    focus(q!);
    q!.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    email!.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    f.querySelector('button')!.click();
    expect(sent.map(([t, fields]) => [t, fields.form])).toEqual([
      ['form_start', 'form-0'],
      ['form_submit', 'form-0'],
    ]);
  });

  it('names a form by id, else name, else action path, else position, even when fields shadow those properties', () => {
    document.body.innerHTML =
      '<form><input name="id"><input name="action"></form><form action="https://x.example/a/b?q=1"></form>';
    const [a, b] = document.querySelectorAll('form');
    expect(formName(a!)).toBe('form-0');
    expect(formName(b!)).toBe('/a/b');
  });
});
