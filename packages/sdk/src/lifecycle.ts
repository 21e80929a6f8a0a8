// The page's life: page views (SPA routes included), visible time, scroll depth, page_leave, and the beacon when the page goes away.
import { guard, on } from './guard.ts';
import { beaconNow, online } from './sender.ts';
import { emit, newPage, pageUrl } from './tracker.ts';
import { cleanUrl } from './url-clean.ts';

type Loose = Record<string, any>;

/**
 * Watches the page and returns its route change (what `page()` does; the first `page_view` too):
 * `page_leave` (the time the page was actually visible, the deepest scroll) and `leaving()` (form
 * abandons) when it is hidden for good (`pagehide`) or, with `spa`, when `pushState`,
 * `replaceState`, `popstate` or `hashchange` change the route (path or hash, not the query).
 */
export function watchPage(spa: boolean, leaving: () => void): (props?: Loose) => void {
  const now = () => performance.now();
  let shown = 0;
  let since = 0;
  let scroll = 0;
  let left = 1;
  let route = '';
  let previous = cleanUrl(document.referrer, []);

  const where = () => location.pathname + location.hash;
  const visible = () => document.visibilityState == 'visible';
  const measure = () => {
    const h = document.documentElement.scrollHeight;
    scroll = Math.max(scroll, Math.min(100, Math.round(((scrollY + innerHeight) / h) * 100) || 100));
  };
  const view = (p: Loose = {}) => {
    left = shown = scroll = 0;
    since = now();
    route = where();
    newPage();
    measure();
    emit('page_view', { title: p.title || document.title, referrer: previous || undefined }, p.stage);
    previous = pageUrl();
  };
  const leave = () => {
    if (left) return;
    left = 1;
    leaving();
    measure();
    emit('page_leave', { duration_ms: Math.round(shown + (visible() ? now() - since : 0)), scroll_pct: scroll });
  };
  const page = (p?: Loose) => {
    leave();
    view(p);
  };
  const routed = guard(() => where() != route && page());

  on(window, 'scroll', measure);
  on(document, 'visibilitychange', () => {
    if (visible()) since = now();
    else {
      shown += now() - since;
      beaconNow();
    }
  });
  on(window, 'pagehide', () => {
    leave();
    beaconNow();
  });
  on(window, 'online', online);

  if (spa) {
    for (const k of ['pushState', 'replaceState'] as const) {
      const native = history[k];
      history[k] = function (this: History, ...a: Parameters<History['pushState']>) {
        native.apply(this, a);
        routed();
      };
    }
    on(window, 'popstate', routed);
    on(window, 'hashchange', routed);
  }
  return page;
}
