// The script's options after docs/PROTOCOL.md's defaults (the tag's data- attributes or init()'s camelCased object).
import { STAGES } from './names.ts';

/** Options of `init()`; each has the `data-` attribute of the same name (kebab-case) on the tag. */
export interface Options {
  /** Site id registered on the collector. Required. */
  site: string;
  /** Collector base URL. Default: the script's own origin (tag), `location.origin` (npm). */
  endpoint?: string;
  /** Ordered stage list, array or comma-separated. Default: the five of docs/PROTOCOL.md. */
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
}

/** Options after defaults: lists split (no kept parameters: null), endpoint without a trailing slash. Switches stay strings, compared where used. */
export interface Config extends Omit<Options, 'keepParams'> {
  endpoint: string;
  stages: string[];
  keepParams: string[] | null;
}

/** The names in `value`, an array or a comma-separated string (String() joins an array with commas); none: null. */
const list = (value: readonly string[] | string | undefined): string[] | null => String(value ?? '').match(/[^\s,]+/g);

/** The page's configuration, set once by `configure` and read by the tracker, the sender and the features. */
export let config: Config;

/** Applies the defaults to `options` (`origin`: the default endpoint) and makes them the page's `config`. */
export function configure(options: Options, origin: string): Config {
  return (config = {
    ...options,
    endpoint: (options.endpoint || origin).replace(/\/+$/, ''),
    stages: list(options.stages) || STAGES,
    keepParams: list(options.keepParams),
  });
}
