// The benchmark page for each tracker: the same page, the tracker loaded the way its docs say, and one `__bench.track` entry point.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageDir, SDK_BUNDLE } from '../size/peers.ts';
import type { StaticFile } from '../lib/servers.ts';

export type BrowserTrackerId = 'none' | 'parcours' | 'parcours-baseline' | 'plausible' | 'posthog';

/**
 * Another build of our tag to measure beside the current one in the same run (`parcours-baseline`): the path of its
 * built `parcours.js`, e.g. the base branch's, given as `PARCOURS_BASELINE`. Unset: no baseline.
 */
export const BASELINE_BUNDLE = process.env.PARCOURS_BASELINE;

/** The file each tracker's code runs from (script attribution of long frames). */
export const TRACKER_FILE: Record<BrowserTrackerId, string> = {
  none: '-',
  parcours: '/parcours.js',
  'parcours-baseline': '/parcours.js',
  plausible: '/plausible.js',
  posthog: '/posthog.js',
};

/** Host names the browser maps to 127.0.0.1: the site and the collector are different sites, as in production. */
export const SITE_HOST = 'shop.test';
export const COLLECTOR_HOST = 'collector.test';

/**
 * Records long tasks from the very start of the page (before any tracker loads), and long animation frames with
 * the time each script ran in them: that names the script a long task came from.
 */
const OBSERVER = `<script>
window.__longtasks = []; window.__frames = [];
try { new PerformanceObserver(function (l) { l.getEntries().forEach(function (e) { __longtasks.push({ start: e.startTime, duration: e.duration }); }); })
  .observe({ type: 'longtask', buffered: true }); } catch (e) {}
try { new PerformanceObserver(function (l) { l.getEntries().forEach(function (e) {
  __frames.push({ start: e.startTime, duration: e.duration, scripts: (e.scripts || []).map(function (s) {
    return { url: s.sourceURL || '', duration: s.duration, invoker: s.invoker || '' }; }) }); }); })
  .observe({ type: 'long-animation-frame', buffered: true }); } catch (e) {}
</script>`;

function page(head: string, body = ''): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Mug, 350 ml</title>${OBSERVER}${head}</head>
<body><h1>Mug</h1><p>A stoneware mug.</p>
<form id="newsletter"><input name="email" type="email"><button>Subscribe</button></form>${body}</body></html>`;
}

/** Files the site serves for one tracker: the page at `/` and its script(s). `endpoint` is the wire meter's URL. */
export async function pageFiles(
  id: BrowserTrackerId,
  endpoint: string,
  site: string,
): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  const js = (body: string | Buffer): StaticFile => ({ type: 'text/javascript; charset=utf-8', body });
  switch (id) {
    case 'none':
      files.set('/', {
        type: 'text/html',
        body: page(`<script>window.__bench = { ready: function () { return true; }, track: function () {} };</script>`),
      });
      break;
    case 'parcours':
    case 'parcours-baseline':
      files.set('/parcours.js', js(await readFile(id === 'parcours' ? SDK_BUNDLE : BASELINE_BUNDLE!)));
      files.set('/', {
        type: 'text/html',
        body: page(`<script>window.parcours=window.parcours||function(){(parcours.q=parcours.q||[]).push(arguments)}</script>
<script src="/parcours.js" data-site="${site}" data-endpoint="${endpoint}"></script>
<script>window.__bench = {
  ready: function () { return typeof parcours === 'function' && parcours.l === 1; },
  track: function (name, props) { parcours('track', name, props); },
  drain: function () { return Promise.resolve(parcours('flush')); }
};</script>`),
      });
      break;
    case 'plausible':
      files.set('/plausible.js', js(await readFile(join(packageDir('@plausible-analytics/tracker'), 'plausible.js'))));
      files.set('/', {
        type: 'text/html',
        body: page(`<script type="module">
import { init, track } from '/plausible.js';
init({ domain: '${SITE_HOST}', endpoint: '${endpoint}/api/event' });
window.__bench = {
  ready: function () { return true; },
  track: function (name, props) { track(name, { props: props }); }
};</script>`),
      });
      break;
    case 'posthog':
      files.set('/posthog.js', js(await readFile(join(packageDir('posthog-js'), 'dist', 'array.js'))));
      files.set('/', {
        type: 'text/html',
        // Remote config, flags, surveys and recordings need PostHog's servers: the sink cannot answer them.
        // Its client-side rate limit (10 events/s, bursts of 100) would drop most of 1,000 quick calls: raised.
        body: page(`<script src="/posthog.js"></script>
<script>posthog.init('phc_bench', { api_host: '${endpoint}', advanced_disable_flags: true, disable_surveys: true,
  disable_session_recording: true, disable_external_dependency_loading: true,
  rate_limiting: { events_per_second: 100000, events_burst_limit: 100000 } });
window.__bench = {
  ready: function () { return !!posthog.__loaded; },
  track: function (name, props) { posthog.capture(name, props); }
};</script>`),
      });
      break;
  }
  return files;
}
