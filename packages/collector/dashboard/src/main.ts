// The journey-map dashboard: sign in with a site's read token, pick a range, draw every report.
import { ApiError, fetchReport } from './api.ts';
import { byId, fill, h } from './dom.ts';
import { explain } from './problems.ts';
import { customRange, describeRange, presetRange, previousRange, utcDay, type DateRange } from './range.ts';
import { clearCredentials, loadCredentials, saveCredentials, type Credentials } from './session.ts';
import type { KpisReport, Reports } from './types.ts';
import { renderCarts } from './views/carts.ts';
import { renderFlow } from './views/flow.ts';
import { renderForms } from './views/forms.ts';
import { renderFriction } from './views/friction.ts';
import { renderFunnel } from './views/funnel.ts';
import { renderKpis } from './views/kpis.ts';
import { renderSatisfaction } from './views/satisfaction.ts';

const RANGE_KEY = 'parcours.dashboard.range';
let creds: Credentials | null = null;
let range: DateRange = restoreRange();
/** Only the latest load may draw: an earlier, slower answer must not overwrite a newer range. */
let loadSeq = 0;

function setState(state: 'signin' | 'loading' | 'ready' | 'empty' | 'error'): void {
  document.body.dataset.state = state;
  document.body.classList.toggle('loading', state === 'loading');
}

function restoreRange(): DateRange {
  try {
    const v = JSON.parse(sessionStorage.getItem(RANGE_KEY) ?? 'null') as {
      preset?: string;
      from?: string;
      to?: string;
    } | null;
    if (v?.preset === 'custom' && v.from && v.to) return customRange(v.from, v.to) ?? presetRange(30);
    if (v?.preset && ['7', '30', '90'].includes(v.preset)) return presetRange(Number(v.preset));
  } catch {
    // A damaged entry falls back to the default below.
  }
  return presetRange(30);
}

function keepRange(r: DateRange): void {
  const v =
    r.preset === 'custom' ? { preset: 'custom', from: utcDay(r.from), to: utcDay(r.to - 1) } : { preset: r.preset };
  sessionStorage.setItem(RANGE_KEY, JSON.stringify(v));
}

function showSignIn(error?: string): void {
  setState('signin');
  byId('report').hidden = true;
  byId('who').hidden = true;
  byId('signin').hidden = false;
  const msg = byId('signin-error');
  msg.hidden = !error;
  msg.textContent = error ?? '';
  const site = byId<HTMLInputElement>('signin-site');
  if (creds && !site.value) site.value = creds.site;
  (site.value ? byId<HTMLInputElement>('signin-token') : site).focus();
  document.title = 'Parcours · journey map';
}

function showReport(c: Credentials): void {
  byId('signin').hidden = true;
  byId('report').hidden = false;
  byId('who').hidden = false;
  byId('who-site').textContent = c.site;
  document.title = `${c.site} · Parcours journey map`;
  syncRangeForm();
}

function syncRangeForm(): void {
  const form = byId<HTMLFormElement>('range');
  for (const input of form.querySelectorAll<HTMLInputElement>('input[name=preset]'))
    input.checked = input.value === range.preset;
  byId<HTMLInputElement>('range-from').value = utcDay(range.from);
  byId<HTMLInputElement>('range-to').value = utcDay(range.preset === 'custom' ? range.to - 1 : range.to);
  byId('range-label').textContent = describeRange(range);
  // No custom day past today (UTC): the reports hold nothing there yet.
  const today = utcDay(Date.now());
  byId<HTMLInputElement>('range-from').max = today;
  byId<HTMLInputElement>('range-to').max = today;
}

function periodLabel(r: DateRange): string {
  const days = Math.round((r.to - r.from) / 86_400_000);
  return `previous ${days} day${days === 1 ? '' : 's'}`;
}

function hasData(r: Reports): boolean {
  return (
    r.funnel.stages.some((s) => s.visitors > 0) ||
    r.friction.pages.length > 0 ||
    r.carts.carts.started > 0 ||
    r.forms.forms.length > 0 ||
    r.satisfaction.overall.responses > 0
  );
}

function showProblem(title: string, detail: string, hint: string, actions: HTMLElement[] = []): void {
  const box = byId('problem');
  fill(
    box,
    h('h2', {}, title),
    h('p', {}, detail),
    h('p', { class: 'muted' }, hint),
    actions.length ? h('p', {}, ...actions) : null,
  );
  box.hidden = false;
  byId('content').hidden = true;
}

function button(label: string, onClick: () => void): HTMLButtonElement {
  const b = h('button', { type: 'button', class: 'secondary' }, label);
  b.addEventListener('click', onClick);
  return b;
}

/**
 * Fetches this range's reports and the previous period's KPIs, drawing each section as soon as its
 * report arrives (the database answers one query at a time, so waiting for all would hold back the first);
 * failures become a message a person understands.
 */
async function load(): Promise<void> {
  if (!creds) return showSignIn();
  const seq = ++loadSeq;
  const c = creds;
  const started = performance.now();
  let firstDrawn = false;
  setState('loading');
  byId('status').textContent = 'Loading the reports…';
  /** Runs a section's drawing if this load is still the latest; the first one uncovers the content. */
  const draw = (fn: () => void): void => {
    if (seq !== loadSeq) return;
    if (!firstDrawn) {
      firstDrawn = true;
      document.body.dataset.firstRenderMs = String(Math.round(performance.now() - started));
      byId('problem').hidden = true;
      byId('content').hidden = false;
    }
    fn();
  };
  const get = <K extends keyof Reports>(name: K) => fetchReport(c, name, range);
  // Issued in the order the page reads: the funnel gives the stage order the flow and friction need.
  const funnel = get('funnel');
  const kpis = get('kpis');
  const transitions = get('transitions');
  const friction = get('friction');
  const forms = get('forms');
  const carts = get('carts');
  const satisfaction = get('satisfaction');
  // The comparison is a bonus: if the previous period fails, the cards just show no change.
  const previous = fetchReport(c, 'kpis', previousRange(range)).catch((): KpisReport | null => null);
  const order = funnel.then((f) => f.stages.map((s) => s.stage));
  const label = periodLabel(range);
  const jobs = [
    funnel.then((f) => draw(() => renderFunnel(byId('funnel'), f))),
    Promise.all([kpis, previous]).then(([k, p]) => draw(() => renderKpis(byId('kpis'), k, p, label))),
    Promise.all([transitions, order]).then(([t, o]) => draw(() => renderFlow(byId('flow'), t, o))),
    Promise.all([friction, order]).then(([f, o]) => draw(() => renderFriction(byId('friction'), f, o))),
    forms.then((f) => draw(() => renderForms(byId('forms'), f))),
    carts.then((x) => draw(() => renderCarts(byId('carts'), x))),
    satisfaction.then((x) => draw(() => renderSatisfaction(byId('satisfaction'), x))),
  ];
  let reports: Reports;
  try {
    await Promise.all(jobs);
    reports = {
      funnel: await funnel,
      transitions: await transitions,
      friction: await friction,
      forms: await forms,
      carts: await carts,
      kpis: await kpis,
      satisfaction: await satisfaction,
    };
  } catch (err) {
    if (seq !== loadSeq) return;
    const e = err instanceof ApiError ? err : new ApiError('server', 0, String(err));
    const p = explain(e, c.site, location.origin);
    byId('status').textContent = '';
    if (e.code === 'unauthorized' || e.code === 'not-found') {
      // The token or site is wrong for good: forget it and ask again.
      clearCredentials();
      creds = null;
      showSignIn(`${p.title}. ${p.detail} ${p.hint}`);
      return;
    }
    setState('error');
    showProblem(p.title, p.detail, p.hint, [button('Retry', () => void load())]);
    return;
  }
  if (seq !== loadSeq) return;
  if (!hasData(reports)) {
    setState('empty');
    byId('status').textContent = '';
    showProblem(
      'No data yet for this range',
      `Nothing was recorded for “${c.site}” in ${describeRange(range)}.`,
      'If the script tag was just installed, visit a page of the site and come back in a minute; otherwise try a longer range.',
      range.preset === '90' ? [] : [button('Show the last 90 days', () => setRange(presetRange(90)))],
    );
    byId('problem').removeAttribute('role');
    return;
  }
  byId('problem').setAttribute('role', 'alert');
  byId('problem').hidden = true;
  byId('content').hidden = false;
  const ms = Math.round(performance.now() - started);
  document.body.dataset.renderMs = String(ms);
  byId('status').textContent =
    `Updated ${new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })} · first figures in ${document.body.dataset.firstRenderMs} ms, all in ${ms} ms`;
  setState('ready');
}

function setRange(r: DateRange): void {
  range = r;
  keepRange(r);
  syncRangeForm();
  void load();
}

function wire(): void {
  byId<HTMLFormElement>('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const site = byId<HTMLInputElement>('signin-site').value.trim();
    const token = byId<HTMLInputElement>('signin-token').value.trim();
    if (!site || !token) {
      showSignIn(!site ? 'Enter the site id.' : 'Enter the read token.');
      return;
    }
    creds = { site, token };
    saveCredentials(creds);
    byId<HTMLInputElement>('signin-token').value = '';
    showReport(creds);
    byId('main').focus();
    void load();
  });
  byId('sign-out').addEventListener('click', () => {
    clearCredentials();
    creds = null;
    byId<HTMLInputElement>('signin-site').value = '';
    showSignIn();
  });
  const form = byId<HTMLFormElement>('range');
  form.addEventListener('change', (e) => {
    const t = e.target as HTMLInputElement;
    if (t.name === 'preset' && t.value !== 'custom') setRange(presetRange(Number(t.value)));
    if (t.name === 'preset' && t.value === 'custom') byId('range-from').focus();
  });
  // Editing a date means a custom range, even before the Custom button is chosen.
  for (const id of ['range-from', 'range-to']) {
    byId(id).addEventListener('input', () => {
      const custom = form.querySelector<HTMLInputElement>('input[name=preset][value=custom]');
      if (custom) custom.checked = true;
    });
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const r = customRange(byId<HTMLInputElement>('range-from').value, byId<HTMLInputElement>('range-to').value);
    if (!r) {
      byId('range-label').textContent = 'Pick a start date on or before the end date.';
      return;
    }
    setRange(r);
  });
}

wire();
creds = loadCredentials();
if (creds) {
  showReport(creds);
  void load();
} else {
  showSignIn();
}
