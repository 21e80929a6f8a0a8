// The script's options after DESIGN.md's defaults (the tag's data- attributes or init()'s camelCased object).
import type { Options } from './index.ts';
import { STAGES } from './names.ts';

/** Options after defaults: lists split (no kept parameters: null), endpoint without a trailing slash. Switches stay strings, compared where used. */
export interface Config extends Omit<Options, 'keepParams'> {
  endpoint: string;
  stages: string[];
  keepParams: string[] | null;
}

// Names without blanks or commas: [v].join() joins an array with commas and reads undefined as empty, so both forms read
// alike; none gives null.
const list = (v: readonly string[] | string | undefined): string[] | null => [v].join().match(/[^\s,]+/g);

/** Applies the defaults to `o`; `origin` is the default endpoint. */
export function configure(o: Options, origin: string): Config {
  return {
    ...o,
    endpoint: (o.endpoint || origin).replace(/\/+$/, ''),
    stages: list(o.stages) || STAGES,
    keepParams: list(o.keepParams),
  };
}
