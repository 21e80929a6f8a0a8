// The script's options: the tag's data- attributes or init()'s camelCased object, with DESIGN.md's defaults.
import { STAGES } from './names.ts';

/** Options of `init()`; each has the `data-` attribute of the same name (kebab-case) on the tag. */
export interface Options {
  /** Site id registered on the collector. Required. */
  site: string;
  /** Collector base URL. Default: the script's own origin (tag), `location.origin` (npm). */
  endpoint?: string;
  /** Ordered stage list, array or comma-separated. Default: the five of DESIGN.md. */
  stages?: readonly string[] | string;
  /** `auto` tracks history navigation as page views, `off` does not. Default `auto`. */
  spa?: 'auto' | 'off';
  /** `auto` captures every form, `off` none. Default `auto`. */
  forms?: 'auto' | 'off';
  /** `on` reads GA4 ecommerce `dataLayer` pushes and `gtag('event', …)` calls. Default `off`. */
  datalayer?: 'on' | 'off';
  /** `on` sends nothing when Do Not Track or Global Privacy Control is set. Default `on`. */
  respectDnt?: 'on' | 'off';
  /** Query parameters kept in `url` besides `utm_*`, array or comma-separated. Default none. */
  keepParams?: readonly string[] | string;
  /** URL stage rules (path glob → stage); `window.parcoursConfig.rules` is read too. */
  rules?: Record<string, string>;
}

/** Options after defaults: lists split, endpoint without a trailing slash. Switches stay strings, compared where used. */
export interface Config extends Options {
  endpoint: string;
  stages: string[];
  keepParams: string[];
}

const list = (v: readonly string[] | string | undefined): string[] =>
  ('' + (v || '')).split(',').map((s) => s.trim()).filter(Boolean);

/** Applies the defaults to `o`. */
export function configure(o: Options): Config {
  const stages = list(o.stages);
  return {
    ...o,
    endpoint: (o.endpoint || location.origin).replace(/\/+$/, ''),
    stages: stages[0] ? stages : STAGES,
    keepParams: list(o.keepParams),
  };
}
