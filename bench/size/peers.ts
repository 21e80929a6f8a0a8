// Where each tracker's browser script comes from: our built IIFE and the peers' published npm files.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const benchDir = dirname(dirname(fileURLToPath(import.meta.url)));

/** Root directory of a package installed for bench/ (some peers do not export their package.json). */
export function packageDir(name: string): string {
  return join(benchDir, 'node_modules', name);
}

/** What each tracker does out of the box (or with the plugins counted in its bytes). */
export interface Features {
  /** Events kept across reloads and offline, and sent later. */
  offline: string;
  forms: string;
  carts: string;
  stages: string;
}

export interface Tracker {
  id: string;
  name: string;
  /** Package and version the bytes come from. */
  source: string;
  features: Features;
  /** Returns the script as a site serves it (minified). */
  load(): Promise<string>;
}

/** The Parcours script as built by `pnpm --filter @parcours/sdk build`. */
export const SDK_BUNDLE = join(benchDir, '..', 'packages', 'sdk', 'dist', 'parcours.js');

async function readText(path: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile(path, 'utf8');
}

function version(name: string): string {
  return (JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8')) as { version: string }).version;
}

/** The Snowplow site script: the browser tracker with its form-tracking and ecommerce plugins, bundled and minified by esbuild. */
export const SNOWPLOW_ENTRY = `
import { newTracker, trackPageView, trackSelfDescribingEvent } from '@snowplow/browser-tracker';
import { FormTrackingPlugin, enableFormTracking } from '@snowplow/browser-plugin-form-tracking';
import { SnowplowEcommercePlugin, trackAddToCart, trackRemoveFromCart, trackCheckoutStep, trackTransaction, trackProductView } from '@snowplow/browser-plugin-snowplow-ecommerce';
window.snowplowSite = { newTracker, trackPageView, trackSelfDescribingEvent, FormTrackingPlugin, enableFormTracking,
  SnowplowEcommercePlugin, trackAddToCart, trackRemoveFromCart, trackCheckoutStep, trackTransaction, trackProductView };
`;

/** Bundles an entry's source with esbuild as one minified IIFE, resolving packages from bench/. */
export async function bundle(source: string): Promise<string> {
  const out = await build({
    stdin: { contents: source, resolveDir: benchDir, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2019',
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  return out.outputFiles[0]!.text;
}

/** Every tracker measured, ours first. */
export const TRACKERS: Tracker[] = [
  {
    id: 'parcours',
    name: 'Parcours',
    source: '@parcours/sdk dist/parcours.js (this repo)',
    features: {
      offline: 'yes: IndexedDB outbox, retried with backoff, beacon on close',
      forms: 'yes: start, submit, abandon with last field (no values)',
      carts: 'yes: GA4 cart events, declarative buttons, dataLayer',
      stages: 'yes: every event tagged with its journey stage',
    },
    load: () => readText(SDK_BUNDLE),
  },
  {
    id: 'plausible',
    name: 'Plausible (full tracker)',
    source: `@plausible-analytics/tracker@${version('@plausible-analytics/tracker')} plausible.js`,
    features: {
      offline: 'no: one fetch per event, lost when offline',
      forms: 'submissions only (option)',
      carts: 'no: revenue on a custom event only',
      stages: 'no',
    },
    load: () => readText(join(packageDir('@plausible-analytics/tracker'), 'plausible.js')),
  },
  {
    id: 'posthog',
    name: 'PostHog (array.js)',
    source: `posthog-js@${version('posthog-js')} dist/array.js`,
    features: {
      offline: 'in memory: retried while the page lives, not kept across reloads',
      forms: 'autocapture of submits and changes (no abandonment)',
      carts: 'no: custom events only',
      stages: 'no',
    },
    load: () => readText(join(packageDir('posthog-js'), 'dist', 'array.js')),
  },
  {
    id: 'posthog-full',
    name: 'PostHog (array.full.js)',
    source: `posthog-js@${version('posthog-js')} dist/array.full.js`,
    features: {
      offline: 'in memory: retried while the page lives, not kept across reloads',
      forms: 'autocapture of submits and changes (no abandonment)',
      carts: 'no: custom events only',
      stages: 'no',
    },
    load: () => readText(join(packageDir('posthog-js'), 'dist', 'array.full.js')),
  },
  {
    id: 'snowplow',
    name: 'Snowplow + forms + ecommerce',
    source: `@snowplow/browser-tracker@${version('@snowplow/browser-tracker')} + browser-plugin-form-tracking + browser-plugin-snowplow-ecommerce, esbuild IIFE`,
    features: {
      offline: 'yes: localStorage queue',
      forms: 'yes: focus, change, submit per field (values sent unless excluded)',
      carts: 'yes: ecommerce plugin (cart, checkout steps, transactions)',
      stages: 'no',
    },
    load: () => bundle(SNOWPLOW_ENTRY),
  },
  {
    id: 'segment',
    name: 'Segment analytics-next (standalone)',
    source: `@segment/analytics-next@${version('@segment/analytics-next')} dist/umd/standalone.js (more chunks load at run time)`,
    features: {
      offline: 'yes: localStorage queue',
      forms: 'trackForm helper: submits only',
      carts: 'by event name (Ecommerce spec), no cart state',
      stages: 'no',
    },
    load: () => readText(join(packageDir('@segment/analytics-next'), 'dist', 'umd', 'standalone.js')),
  },
];
