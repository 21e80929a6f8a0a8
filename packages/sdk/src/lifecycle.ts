// The page's life: page views (SPA routes and back/forward cache restores included), visible time, scroll depth,
// page_leave, and the send when the page goes away.
import { after, on } from './guard.ts';
import { pause } from './idb.ts';
import { CONSENT_KEY } from './keys.ts';
import { empty } from './outbox.ts';
import { beaconNow, hidden, online } from './sender.ts';
import { emit, newPage } from './tracker.ts';
import { cleanUrl, clickId } from './url-clean.ts';

type Loose = Record<string, any>;

/**
 * Watches the page and returns its route change (what `page()` does; the first `page_view` too):
 * `page_leave` (the time the page was actually visible, the deepest scroll) and `leaving()` (form
 * abandons) when it is hidden for good (`pagehide`) or, with `spa`, when `pushState`,
 * `replaceState`, `popstate` or `hashchange` change the route (path or hash, not the query).
 */
export function watchPage(spa: boolean, leaving: () => void): (props?: Loose) => void {
  // Visible time of the page: the stretches that ended, and the start of the current one (0 while hidden).
  let visibleMs = 0;
  let visibleSince = 0;
  // The deepest scroll offset seen, px. On scroll only this is kept (no layout read while scrolling); the page's
  // height is read once, at leave.
  let deepest = 0;
  let left = true;
  // Undefined until the first page: never equal to a route (a path is never empty).
  let route: string;
  let referrer = cleanUrl(document.referrer);

  const where = () => location.pathname + location.hash;
  const visibleTime = () => visibleMs + (visibleSince && Date.now() - visibleSince);
  const measure = () => (deepest = Math.max(deepest, scrollY));
  const leave = () => {
    if (left) return;
    left = true;
    leaving();
    emit('page_leave', {
      duration_ms: visibleTime(),
      // 0–100: the deepest point seen, in percent of the page's height (a page shorter than the window is 100).
      scroll_pct: Math.min(100, Math.round(((deepest + innerHeight) / document.documentElement.scrollHeight) * 100)),
    });
  };
  const page = (props: Loose = {}) => {
    leave();
    deepest = visibleMs = 0;
    visibleSince = document.hidden ? 0 : Date.now();
    const url = newPage(!route);
    measure();
    // A view withheld (Do Not Track, consent withdrawn) has no page_leave, and neither becomes the next view's referrer
    // nor fixes the route: consent given on this page sends it as it would have been sent (tracker `consent`).
    left = !emit(
      'page_view',
      {
        // The title of a page whose address holds what the URL rule removes (query parameters, a hash router's query) may
        // echo it (a search's results page, "Results for …"): not sent.
        title:
          props.title ||
          (url == location.href.split('#')[0] && !location.hash.includes('?') ? document.title : undefined),
        referrer: referrer || undefined,
        click_id: clickId(location.search),
      },
      props.stage,
    );
    if (!left) {
      route = where();
      referrer = url;
    }
  };
  const routed = () => where() != route && page();

  on('scroll', measure);
  on('visibilitychange', () => {
    if (document.hidden) {
      visibleMs = visibleTime();
      visibleSince = 0;
      beaconNow();
    } else visibleSince = Date.now();
  });
  on('pagehide', () => {
    pause(true);
    hidden();
    leave();
    beaconNow();
  });
  // Back from the back/forward cache: the same document shown again is a new page view (its page_leave went on pagehide).
  on('pageshow', (e: PageTransitionEvent) => {
    if (e.persisted) {
      pause(false);
      page();
    }
  });
  on('online', online);
  // Consent withdrawn in another tab: what this tab holds is forgotten at once, so none of it leaves, even once consent
  // is given again (that tab emptied the outbox and its own memory).
  on('storage', (e: StorageEvent) => e.key == CONSENT_KEY && e.newValue == '0' && empty());

  if (spa) {
    after(history, 'pushState replaceState', routed);
    on('popstate hashchange', routed);
  }
  return page;
}
