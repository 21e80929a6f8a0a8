// The journey-map dashboard: sign in with a site's read token, pick a range and filters, draw every report.
import type { Dimension, Interval } from '@parcours/protocol';
import { ApiError, fetchReport } from './api.ts';
import { byId, fill, h } from './dom.ts';
import { DIMENSION_LABELS, parseView, type View, valueLabel, viewHash, withFilter, withoutFilter } from './filters.ts';
import { explain } from './problems.ts';
import { customRange, describeRange, presetRange, previousRange, utcDay, type DateRange } from './range.ts';
import { clearCredentials, loadCredentials, saveCredentials, type Credentials } from './session.ts';
import type { BreakdownReport, KpisReport, Reports } from './types.ts';
import { renderBreakdown, renderCartsBy, renderStagesBy, segmented } from './views/breakdown.ts';
import { renderCarts } from './views/carts.ts';
import { renderFlow } from './views/flow.ts';
import { renderFormFields, renderForms } from './views/forms.ts';
import { renderFriction } from './views/friction.ts';
import { renderFunnel } from './views/funnel.ts';
import { renderKpis } from './views/kpis.ts';
import { renderTrend } from './views/trend.ts';
import { renderSatisfaction, satisfactionInterval } from './views/satisfaction.ts';

const RANGE_KEY = 'parcours.dashboard.range';
let creds: Credentials | null = null;
/** The period, filters and interval: the URL's fragment says them, else the period this tab last used. */
let view: View = parseView(location.hash, restoreRange());
/** Only the latest load may draw: an earlier, slower answer must not overwrite a newer range. */
let loadSeq = 0;
/** The breakdowns of the latest load, by dimension: a switch or tab reads one without asking twice. */
let breakdowns = new Map<Dimension, Promise<BreakdownReport>>();
/** The funnel and carts of the latest load, for their panels' switches. */
let latest: { funnel?: Promise<Reports['funnel']>; carts?: Promise<Reports['carts']> } = {};
/** The site's stage order, from the latest funnel. */
let stageOrder: Promise<string[]> = Promise.resolve([]);

type Split = 'all' | 'channel' | 'device';
/** What each panel with a switch shows now. */
const shown = {
  funnel: 'all' as Split,
  carts: 'all' as Split,
  sources: 'channel' as Dimension,
  devices: 'device' as Dimension,
};
const SPLITS = [
  ['all', 'All visitors'],
  ['channel', 'By channel'],
  ['device', 'By device'],
] as const;
const SOURCE_TABS = (['channel', 'source', 'campaign', 'medium', 'referrer', 'landing'] as const).map(
  (d) => [d, `${DIMENSION_LABELS[d]}s`] as const,
);
const DEVICE_TABS = (['device', 'browser', 'os'] as const).map((d) => [d, DIMENSION_LABELS[d]] as const);
const INTERVAL_TABS = [
  ['hour', 'Hourly'],
  ['day', 'Daily'],
  ['week', 'Weekly'],
] as const;

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
  const range = view.range;
  const form = byId<HTMLFormElement>('range');
  for (const input of form.querySelectorAll<HTMLInputElement>('input[name=preset]'))
    input.checked = input.value === range.preset;
  byId<HTMLInputElement>('range-from').value = utcDay(range.from);
  byId<HTMLInputElement>('range-to').value = utcDay(range.preset === 'custom' ? range.to - 1 : range.to);
  byId('range-label').textContent = describeRange(range);
  renderChips();
  // No custom day past today (UTC): the reports hold nothing there yet.
  const today = utcDay(Date.now());
  byId<HTMLInputElement>('range-from').max = today;
  byId<HTMLInputElement>('range-to').max = today;
}

function periodLabel(r: DateRange): string {
  const days = Math.round((r.to - r.from) / 86_400_000);
  return `previous ${days} day${days === 1 ? '' : 's'}`;
}

function hasData(r: Pick<Reports, 'funnel' | 'friction' | 'carts' | 'forms' | 'satisfaction'>): boolean {
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

/** The chips of the filters in force, each removable, and "Clear filters" when there are any. */
function renderChips(): void {
  const box = byId('filters');
  box.hidden = !view.filters.length;
  if (!view.filters.length) {
    fill(box);
    return;
  }
  const chips = view.filters.flatMap((f) =>
    f.values.map((v) => {
      const what = `${DIMENSION_LABELS[f.dimension]}: ${valueLabel(f.dimension, v)}`;
      const remove = h('button', { type: 'button', 'aria-label': `Remove the filter ${what}`, title: 'Remove' }, '×');
      remove.addEventListener('click', () =>
        setView({ ...view, filters: withoutFilter(view.filters, f.dimension, v) }),
      );
      return h('span', { class: 'chip', 'data-chip': `${f.dimension}=${v}` }, what, remove);
    }),
  );
  fill(
    box,
    h('span', { class: 'muted' }, 'Only visitors with'),
    ...chips,
    button('Clear filters', () => setView({ ...view, filters: [] })),
  );
}

/** The breakdown by `by` of the latest load (asked once per load, with its period and filters). */
function breakdown(by: Dimension): Promise<BreakdownReport> {
  let answer = breakdowns.get(by);
  if (!answer && creds) {
    answer = fetchReport(creds, 'breakdown', view.range, view.filters, `&by=${by}`);
    breakdowns.set(by, answer);
  }
  return answer ?? Promise.reject(new ApiError('unauthorized', 401, 'signed out'));
}

/** Draws one panel from a breakdown, or says in place that it failed (the rest of the page stands). */
async function drawBreakdown(id: string, by: Dimension, render: (r: BreakdownReport) => void): Promise<void> {
  const seq = loadSeq;
  try {
    const report = await breakdown(by);
    if (seq === loadSeq) render(report);
  } catch (err) {
    if (seq === loadSeq) fill(byId(id), h('p', { class: 'error' }, `This table could not be read (${String(err)}).`));
  }
}

/** The funnel panel: the funnel itself, or visitors entering each stage by channel or device. */
function drawFunnelSplit(funnel: Reports['funnel']): Promise<void> | void {
  if (shown.funnel === 'all') return renderFunnel(byId('funnel'), funnel);
  const stages = funnel.stages.map((st) => st.stage);
  return drawBreakdown('funnel', shown.funnel, (r) => renderStagesBy(byId('funnel'), r, stages));
}

function drawCartsSplit(carts: Reports['carts']): Promise<void> | void {
  if (shown.carts === 'all') return renderCarts(byId('carts'), carts);
  return drawBreakdown('carts', shown.carts, (r) => renderCartsBy(byId('carts'), r));
}

/** The trend of the period at the view's interval, drawn through `draw` (a load's, which times the first figures). */
async function drawTrend(c: Credentials, draw: (fn: () => void) => void = (fn) => fn()): Promise<void> {
  const seq = loadSeq;
  const [series, stages] = await Promise.all([
    fetchReport(c, 'timeseries', view.range, view.filters, `&interval=${view.interval}`),
    stageOrder,
  ]);
  if (seq !== loadSeq) return;
  draw(() =>
    renderTrend(byId('trend'), series, stages, (from, to) =>
      setView({ ...view, range: { from, to, preset: 'custom' } }),
    ),
  );
}

/**
 * Fetches this range's reports and the previous period's KPIs, drawing each section as soon as its
 * report arrives (the database answers one query at a time, so waiting for all would hold back the first);
 * failures become a message a person understands. Every report is asked with the view's filters.
 */
async function load(): Promise<void> {
  if (!creds) return showSignIn();
  const seq = ++loadSeq;
  const c = creds;
  const { range, filters } = view;
  breakdowns = new Map();
  const started = performance.now();
  let firstDrawn = false;
  setState('loading');
  byId('status').textContent = 'Loading the reports…';
  /** Runs a section's drawing if this load is still the latest; the first one uncovers the content. */
  const draw = (fn: () => Promise<void> | void): Promise<void> | void => {
    if (seq !== loadSeq) return;
    if (!firstDrawn) {
      firstDrawn = true;
      document.body.dataset.firstRenderMs = String(Math.round(performance.now() - started));
      byId('problem').hidden = true;
      byId('content').hidden = false;
    }
    return fn();
  };
  const get = <K extends keyof Reports>(name: K) => fetchReport(c, name, range, filters);
  // Issued in the order the page reads: the funnel gives the stage order the flow and friction need.
  const funnel = get('funnel');
  const kpis = get('kpis');
  // The comparison is a bonus: if the previous period fails, the cards just show no change.
  const previous = fetchReport(c, 'kpis', previousRange(range), filters).catch((): KpisReport | null => null);
  const order = funnel.then((f) => f.stages.map((st) => st.stage));
  stageOrder = order.catch(() => []);
  const trend = drawTrend(c, draw).catch((err) => seq === loadSeq && trendFailed(err));
  const transitions = get('transitions');
  const friction = get('friction');
  const forms = get('forms');
  const carts = get('carts');
  latest = { funnel, carts };
  // With its own trend, at an interval the period always allows (the trend switch is the visitors chart's).
  const satisfaction = fetchReport(c, 'satisfaction', range, filters, `&interval=${satisfactionInterval(range)}`);
  const label = periodLabel(range);
  const jobs = [
    funnel.then((f) => draw(() => drawFunnelSplit(f))),
    Promise.all([kpis, previous]).then(([k, p]) => draw(() => renderKpis(byId('kpis'), k, p, label))),
    trend,
    Promise.all([transitions, order]).then(([t, o]) => draw(() => renderFlow(byId('flow'), t, o))),
    drawBreakdown('sources', shown.sources, (r) => draw(() => renderBreakdown(byId('sources'), r))),
    drawBreakdown('devices', shown.devices, (r) => draw(() => renderBreakdown(byId('devices'), r))),
    drawBreakdown('countries', 'country', (r) => draw(() => renderBreakdown(byId('countries'), r))),
    Promise.all([friction, order]).then(([f, o]) => draw(() => renderFriction(byId('friction'), f, o))),
    forms.then((f) =>
      draw(() => {
        renderForms(byId('forms'), f);
        renderFormFields(byId('fields'), f);
      }),
    ),
    carts.then((x) => draw(() => drawCartsSplit(x))),
    satisfaction.then((x) => draw(() => renderSatisfaction(byId('satisfaction'), x))),
  ];
  let reports: Omit<Reports, 'breakdown' | 'timeseries'>;
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
    if (filters.length)
      showProblem(
        'No visitor matches these filters',
        `Nothing was recorded for “${c.site}” in ${describeRange(range)} from visitors with these values.`,
        'Remove a filter above, or try a longer range.',
      );
    else
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

/**
 * Shows `next`: its fragment goes in the URL (a new history entry, so Back undoes a filter), then the page reloads its
 * reports; an interval change alone only redraws the trend.
 */
function setView(next: View): void {
  const hash = viewHash(next);
  if (hash !== location.hash) history.pushState(null, '', hash);
  applyView(next);
}

function applyView(next: View): void {
  const onlyInterval =
    viewHash({ ...next, interval: view.interval }) === viewHash(view) && next.interval !== view.interval;
  view = next;
  keepRange(next.range);
  syncRangeForm();
  // Only the interval switch follows the URL (Back, a pasted link); redrawn, it would lose the keyboard's focus.
  for (const input of byId('trend-switch').querySelectorAll('input')) input.checked = input.value === next.interval;
  if (!onlyInterval) return void load();
  const seq = loadSeq;
  if (creds) void drawTrend(creds).catch((err) => seq === loadSeq && trendFailed(err));
}

/** Says in the trend's place why it is missing: the rest of the page stands. */
function trendFailed(err: unknown): void {
  const tooMany = err instanceof ApiError && err.code === 'invalid-query';
  fill(
    byId('trend'),
    h(
      'p',
      { class: 'error' },
      tooMany ? 'Too many intervals in this period: choose daily or weekly.' : 'The trend could not be read.',
    ),
  );
}

function setRange(r: DateRange): void {
  setView({ ...view, range: r });
}

/** The switches of the trend, funnel, carts, sources and devices panels, showing what each panel shows. */
function drawSwitches(): void {
  fill(
    byId('trend-switch'),
    segmented('Interval', INTERVAL_TABS, view.interval, (interval: Interval) => setView({ ...view, interval })),
  );
  fill(
    byId('funnel-switch'),
    segmented('Funnel', SPLITS, shown.funnel, (v) => {
      shown.funnel = v;
      void latest.funnel?.then(drawFunnelSplit);
    }),
  );
  fill(
    byId('carts-switch'),
    segmented('Carts', SPLITS, shown.carts, (v) => {
      shown.carts = v;
      void latest.carts?.then(drawCartsSplit);
    }),
  );
  fill(
    byId('sources-switch'),
    segmented('Sources by', SOURCE_TABS, shown.sources, (by) => {
      shown.sources = by;
      void drawBreakdown('sources', by, (r) => renderBreakdown(byId('sources'), r));
    }),
  );
  fill(
    byId('devices-switch'),
    segmented('Devices by', DEVICE_TABS, shown.devices, (by) => {
      shown.devices = by;
      void drawBreakdown('devices', by, (r) => renderBreakdown(byId('devices'), r));
    }),
  );
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
  // A value in any table filters the whole page by it.
  byId('report').addEventListener('click', (e) => {
    const pick = (e.target as Element).closest<HTMLElement>('[data-filter]');
    const dimension = pick?.dataset.filter as Dimension | undefined;
    if (!pick || !dimension || pick.dataset.value === undefined) return;
    setView({ ...view, filters: withFilter(view.filters, dimension, pick.dataset.value) });
  });
  // Back and Forward move between the views the URL kept, as does a link pasted into this tab.
  const followUrl = () => {
    if (location.hash !== viewHash(view)) applyView(parseView(location.hash, view.range));
  };
  window.addEventListener('popstate', followUrl);
  window.addEventListener('hashchange', followUrl);
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
history.replaceState(null, '', viewHash(view));
drawSwitches();
creds = loadCredentials();
if (creds) {
  showReport(creds);
  void load();
} else {
  showSignIn();
}
