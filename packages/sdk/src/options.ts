// The script's options after DESIGN.md's defaults (the tag's data- attributes or init()'s camelCased object).
import type { Options } from './index.ts';
import { STAGES } from './names.ts';

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
