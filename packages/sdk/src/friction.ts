// Friction without session replay (the friction feature): rage, dead and error clicks, quick backs and field errors.
// Never reads a value or an element's text; one capturing listener per event type, a MutationObserver only for the
// moments after a click (and one filtered to aria-invalid), no layout read on scroll; at most FRICTION_PER_MINUTE
// events of each kind a minute, whatever the page does.
import { fieldName, formName, IGNORE } from './form-name.ts';
import { countFieldError } from './form-tracking.ts';
import { guard, on } from './guard.ts';
import { QUICK_BACK_KEY } from './keys.ts';
import type { WireEvent } from '@parcours/protocol';

type Emit = (type: string, fields: Record<string, unknown>, stage?: string, url?: string) => void;
/** A page as its page_view was sent: url, stage, time (kept in sessionStorage as text, joined by spaces). */
type ShownPage = [url: string, stage: string, ts: number | string];

/** Most events of each kind per minute: a page firing 10,000 clicks a second, or throwing in a loop, sends no more. */
export const FRICTION_PER_MINUTE = 10;
/** A rage click: at least RAGE_CLICKS clicks within RAGE_MS of the first, and RAGE_PX of it. */
const RAGE_CLICKS = 3;
export const RAGE_MS = 1000;
const RAGE_PX = 30;
/** A dead click: nothing happened (no navigation, no DOM change, no scroll) within DEAD_MS of it. */
export const DEAD_MS = 2500;
/** An error click: an uncaught error or unhandled rejection within ERROR_MS after a click. */
const ERROR_MS = 1000;
/** A quick back: the visitor went back within QUICK_BACK_MS of landing. */
export const QUICK_BACK_MS = 5000;

/**
 * What looks actionable by itself; anything else only with `cursor: pointer`. (A submit or button `<input>` has no
 * child to be clicked in, and as an input it is never a dead click: it needs no place here.)
 */
const ACTIONABLE = 'a[href],button,[role=button]';
/** Clicked to type or choose, not to act: never a dead click. */
const FIELDS = 'input,select,textarea,label';

/**
 * An element's name in `target`: its `data-parcours-name`, else `id`, else `name`, else its tag and up to two class
 * names (`button.buy`), at most 80 characters (protocol MAX_TARGET_LENGTH). Never its text.
 */
export function targetName(element: Element): string {
  const attribute = (name: string) => element.getAttribute(name);
  const path = [element.localName, ...[...element.classList].slice(0, 2)].join('.');
  return (attribute('data-parcours-name') || attribute('id') || attribute('name') || path).slice(0, 80);
}

/** The error of an `error` or `unhandledrejection` event as `"TypeError app.js:12"`: name, script file, line. */
export function describeError(e: ErrorEvent & PromiseRejectionEvent): string {
  const error = e.error || e.reason;
  const name = typeof error?.name == 'string' ? error.name.slice(0, 40) : 'Error';
  // Where it was thrown, as a stack frame ends (`app.js:12:5`, or `app.js:12:5)`): an error event names its script and
  // line, a rejection only in its stack, read up to its first frame. The message is cut out of the stack first: it may
  // hold what was typed, and never leaves the page. So is each query and fragment, up to the frame's line and column:
  // an inline script's file is the page's own URL, whose query may hold a token or a search (colons included).
  const where = (
    e.filename ? `${e.filename}:${e.lineno}:0` : String(error?.stack).replace(String(error?.message), '')
  ).replace(/[?#]\S*?(?=:\d+:\d+\)?$)/gm, '');
  const frame = /([^/\s()@]+?):(\d+):\d+\)?$/m.exec(where);
  return frame ? `${name} ${frame[1]}:${frame[2]}` : name;
}

/**
 * Watches the page for friction and sends it with `emit` (its 3rd and 4th arguments: the stage and url of a page left,
 * for a quick back); `spa` says whether history routes are pages. Called before the page lifecycle starts (so that its
 * popstate listener sees the route being left), it returns what to run before the first page view: the quick back of
 * a page left for this one.
 */
export function watchFriction(emit: Emit, spa: boolean): () => void {
  // How many events of each kind were sent in the current minute, and when it started.
  let counts: Record<string, number> = {};
  let minute = 0;
  const send: Emit = (type, fields, stage, url) => {
    const now = Date.now();
    if (now - minute > 60_000) {
      minute = now;
      counts = {};
    }
    counts[type] = (counts[type] || 0) + 1;
    if (counts[type] <= FRICTION_PER_MINUTE) emit(type, fields, stage, url);
  };

  // The click series (rage clicks): where and when it started, on what, how many clicks; sent when its RAGE_MS are
  // over or the next series starts (one timer at a time, however many clicks).
  let first: MouseEvent;
  let seriesAt = 0;
  let seriesTarget = '';
  let clicks = 0;
  let seriesTimer: ReturnType<typeof setTimeout>;
  const endSeries = () => {
    if (clicks >= RAGE_CLICKS) send('rage_click', { target: seriesTarget, clicks });
    clicks = 0;
  };
  // The last click, for error clicks (cleared once an error is reported for it); when the page last scrolled, was
  // hidden or shown again, or (while a click is watched) changed its DOM: a click followed by any of them was not dead;
  // and, while a click is watched for dead clicks, the address it was made at (undefined between watches).
  let lastClickAt = 0;
  let lastClickTarget = '';
  let lastMoved = 0;
  let watchedHref: string | undefined;
  const moved = () => (lastMoved = Date.now());
  const domChanges = new MutationObserver(moved);

  on('click', (e: MouseEvent) => {
    const clicked = e.target as Element;
    // A click inside a link or button is on the link or button.
    const actionable = clicked.closest(ACTIONABLE);
    const element = actionable || clicked;
    const target = targetName(element);
    const at = (lastClickAt = Date.now());
    lastClickTarget = target;
    if (at - seriesAt < RAGE_MS && Math.hypot(e.clientX - first.clientX, e.clientY - first.clientY) <= RAGE_PX)
      clicks++;
    else {
      endSeries();
      [first, seriesAt, seriesTarget, clicks] = [e, at, target, 1];
      clearTimeout(seriesTimer);
      seriesTimer = setTimeout(endSeries, RAGE_MS);
    }
    // Dead clicks: one watched at a time, on what looks actionable; every DOM change ends the watch.
    if (watchedHref || element.closest(FIELDS) || !(actionable || getComputedStyle(element).cursor == 'pointer'))
      return;
    watchedHref = location.href;
    domChanges.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
    setTimeout(() => {
      domChanges.disconnect();
      // The watch ends before the event is sent: nothing thrown there can leave it on.
      const stayed = location.href == watchedHref;
      watchedHref = undefined;
      if (stayed && lastMoved < at) send('dead_click', { target });
    }, DEAD_MS);
  });
  on('scroll pagehide visibilitychange', moved);

  // Error clicks: errors of the page's scripts, not a resource that failed to load (its target is the element).
  on('error unhandledrejection', (e: ErrorEvent & PromiseRejectionEvent) => {
    if (!(e.target instanceof Element) && Date.now() - lastClickAt < ERROR_MS) {
      lastClickAt = 0;
      send('error_click', { target: lastClickTarget, error: describeError(e) });
    }
  });

  // Field errors: the browser's validation (`invalid`), or a script setting aria-invalid="true" on a field typed in.
  const typed = new WeakSet<EventTarget>();
  const fieldError = (field: Element) => {
    if (field.closest(IGNORE)) return;
    const form = (field as HTMLInputElement).form;
    send('field_error', { form: form ? formName(form) : undefined, field: fieldName(field) || targetName(field) });
    if (FEATURE_FORMS) countFieldError(field);
  };
  on('input', (e) => typed.add(e.target));
  on('invalid', (e) => fieldError(e.target));
  new MutationObserver((records) => {
    for (const { target, oldValue } of records)
      if (typed.has(target) && oldValue != 'true' && (target as Element).getAttribute('aria-invalid') == 'true')
        fieldError(target as Element);
  }).observe(document, { subtree: true, attributeFilter: ['aria-invalid'], attributeOldValue: true });

  // Quick backs. Each page view is remembered in sessionStorage (this tab's, kept across its pages): when a page is
  // shown by a back navigation (or restored from the back/forward cache) within QUICK_BACK_MS of the last page's view,
  // that page was left quickly, back to this one: quick_back, with its url and stage. (Written at the page view, not
  // when the page is hidden: Chromium restores the previous page before the page left fires pagehide.)
  let shown: ShownPage | undefined;
  // The history entry of the last page view: the history's length and the address. A link to a fragment (an in-page
  // `#reviews`, a hash router's `#/cart`) fires popstate too, after adding an entry; one to where the page already is
  // fires it in Chromium and WebKit without moving. Neither is a back. (Past a back, a fragment link replaces the entries
  // ahead by one and keeps the length: that one still counts.)
  let viewLength: number;
  let viewAddress: string;
  const quickBack = ([url, stage, ts]: ShownPage | [] = []) => {
    // No page shown yet: NaN, never under QUICK_BACK_MS.
    const stayed = Date.now() - Number(ts);
    if (stayed < QUICK_BACK_MS) send('quick_back', { duration_ms: stayed }, stage, url);
  };
  on('parcours:event', ({ detail }: CustomEvent<WireEvent>) => {
    if (detail.type != 'page_view') return;
    shown = [detail.url, detail.stage, detail.ts];
    viewLength = history.length;
    viewAddress = location.href;
    // Text, not JSON: neither a URL nor a stage holds a space, and no array goes through the page's JSON.
    sessionStorage.setItem(QUICK_BACK_KEY, shown.join(' '));
  });
  // Guarded: sessionStorage throws where the page may not store (a sandboxed or storage-blocked frame), and a throw
  // here, before the first page view, would cost the page view.
  const cameBack = guard(() => {
    const page = (sessionStorage.getItem(QUICK_BACK_KEY) || '').split(' ') as ShownPage;
    // This page's own view: the visitor went to another site and came back, which is no quick back of this site's page.
    if (page[0] && page[0].split('?')[0] != location.origin + location.pathname) quickBack(page);
  });
  on('pageshow', (e: PageTransitionEvent) => e.persisted && cameBack());
  // A single-page app: back through history within QUICK_BACK_MS of a route's page view (this listener runs before
  // the lifecycle's, so `shown` is still the route being left).
  if (spa) on('popstate', () => history.length == viewLength && location.href != viewAddress && quickBack(shown));
  const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
  return () => navigation?.type == 'back_forward' && cameBack();
}
