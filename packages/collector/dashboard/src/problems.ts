// What a person reads when the report cannot be shown: each API failure explained, with what to do next.
import type { ApiError } from './api.ts';

/** The explanation of a failure: a title, what happened, what to try. */
export interface Problem {
  title: string;
  detail: string;
  hint: string;
}

/** Explains an API failure for the site `site`, talking to the collector at `origin`. */
export function explain(err: ApiError, site: string, origin: string): Problem {
  switch (err.code) {
    case 'unauthorized':
      return {
        title: 'This read token was not accepted',
        detail: `The collector refused the token for site “${site}” (401).`,
        hint: 'Check that you copied the whole read token. If it was rotated, ask for the new one.',
      };
    case 'not-found':
      return {
        title: `No site “${site}” for this token`,
        detail: 'The collector knows no site by this id, or the token belongs to another site (404).',
        hint: 'Check the site id: it is the data-site of the script tag, e.g. “shop”.',
      };
    case 'unreachable':
      return {
        title: 'The collector cannot be reached',
        detail: `No answer from ${origin}${err.status ? ` (HTTP ${err.status})` : ''}.`,
        hint: 'Check your connection and that the collector is running, then retry.',
      };
    case 'invalid-query':
      return {
        title: 'This period or filter was refused',
        detail: `The collector did not accept the dates or a filter (400: ${err.message}).`,
        hint: 'Pick a start date before the end date, or remove a filter.',
      };
    case 'rate-limited':
      return {
        title: 'Too many reports asked in a minute',
        detail: 'The collector limits how many reports one reader asks for a site each minute (429).',
        hint: 'Wait a minute, then retry.',
      };
    default:
      return {
        title: 'The collector failed to answer',
        detail: `It answered with an error (${err.status ? `HTTP ${err.status}, ` : ''}${err.message}).`,
        hint: 'Retry in a moment; if it keeps failing, the collector’s logs say why.',
      };
  }
}
