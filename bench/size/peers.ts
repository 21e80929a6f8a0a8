// Where each tracker's browser script comes from: our built IIFE and the peers' published npm files.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { FEATURES, VARIANTS } from '../../packages/sdk/variants.mjs';

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

/** The Parcours script as built by `pnpm --filter @parcours/sdk build`: `parcours.js`, every feature. */
export const SDK_BUNDLE = join(benchDir, '..', 'packages', 'sdk', 'dist', 'parcours.js');

/** What each optional feature of the tag does, as the size table says it. */
const FEATURE_TEXT = {
  forms: 'yes: start, submit, abandon with last field (no values)',
  carts: 'yes: GA4 cart events, declarative buttons, dataLayer',
  friction: 'rage, dead and error clicks, quick backs, field errors',
  survey: 'CSAT, NPS and effort surveys (their question module loads when one is due)',
} as const;

/** What a variant adds to the stages column: friction signals and surveys, when it has them. */
const extras = (features: readonly string[]) =>
  (['friction', 'survey'] as const)
    .filter((f) => features.includes(f))
    .map((f) => `; ${f}: ${FEATURE_TEXT[f]}`)
    .join('');

/**
 * Every variant of the Parcours tag but the full one (which is `parcours` below), smallest first: the core, then what
 * each adds. Their ids are `parcours-<features>`, the full tag's plain `parcours`.
 */
const VARIANT_TRACKERS: Tracker[] = VARIANTS.filter((v) => v.features.length < FEATURES.length).map((v) => ({
  id: `parcours-${v.features.join('-') || 'core'}`,
  name: `Parcours ${v.features.length ? `core + ${v.features.join(' + ')}` : 'core'}`,
  source: `@parcours/sdk dist/${v.file} (this repo)`,
  features: {
    offline: 'yes: IndexedDB outbox, retried with backoff, beacon on close',
    forms: v.features.includes('forms') ? FEATURE_TEXT.forms : 'no (variant)',
    carts: v.features.includes('carts') ? FEATURE_TEXT.carts : 'no (variant)',
    stages: `yes${extras(v.features)}`,
  },
  load: () => readText(join(dirname(SDK_BUNDLE), v.file)),
}));

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

/** Every tracker measured, ours first (every variant of the tag, the full one last of them). */
export const TRACKERS: Tracker[] = [
  ...VARIANT_TRACKERS,
  {
    id: 'parcours',
    name: 'Parcours (full: every feature)',
    source: '@parcours/sdk dist/parcours.js (this repo)',
    features: {
      offline: 'yes: IndexedDB outbox, retried with backoff, beacon on close',
      forms: FEATURE_TEXT.forms,
      carts: FEATURE_TEXT.carts,
      stages: `yes${extras(FEATURES)}`,
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
