// Reads the public reports API of this page's own origin with the site's read token.
import { filterQuery, type Filters } from './filters.ts';
import { rangeQuery, type DateRange } from './range.ts';
import type { Credentials } from './session.ts';
import type { Reports } from './types.ts';

/** Why a report could not be read: the codes the page explains to a person. */
export type ApiErrorCode = 'unauthorized' | 'not-found' | 'unreachable' | 'invalid-query' | 'rate-limited' | 'server';

/** Longest wait for a `429` to pass before asking once more: the reports limit counts per minute. */
const MAX_RETRY_AFTER_S = 60;

/** A refused or failed report request. */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Fetches one report of the signed-in site for a date range and filters, with the report's own parameters
 * (`&by=channel`); throws ApiError. A `429` (someone clicking through many views in a minute) is waited out once,
 * as its `Retry-After` says.
 */
export async function fetchReport<K extends keyof Reports>(
  creds: Credentials,
  report: K,
  range: DateRange,
  filters: Filters = [],
  params = '',
  fetchFn: typeof fetch = fetch,
): Promise<Reports[K]> {
  const url = `/v1/sites/${encodeURIComponent(creds.site)}/${report}?${rangeQuery(range)}${filterQuery(filters)}${params}`;
  const ask = async (): Promise<Response> => {
    try {
      return await fetchFn(url, {
        headers: { authorization: `Bearer ${creds.token}`, accept: 'application/json' },
        cache: 'no-store',
      });
    } catch {
      throw new ApiError('unreachable', 0, 'the collector did not answer');
    }
  };
  let res = await ask();
  if (res.status === 429) {
    const wait = Math.min(MAX_RETRY_AFTER_S, Number(res.headers.get('retry-after')) || 1);
    await res.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    res = await ask();
  }
  if (res.ok) {
    try {
      return (await res.json()) as Reports[K];
    } catch {
      throw new ApiError('server', res.status, `the ${report} report was not valid JSON`);
    }
  }
  // `message`, when the collector gives one, says in words what it refused (a period too long for hours, a bad filter).
  const body = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
  if (res.status === 401) throw new ApiError('unauthorized', 401, body.error ?? 'unauthorized');
  if (res.status === 404) throw new ApiError('not-found', 404, body.error ?? 'not-found');
  if (res.status === 400) throw new ApiError('invalid-query', 400, body.message ?? body.error ?? 'invalid-query');
  if (res.status === 429) throw new ApiError('rate-limited', 429, body.error ?? 'rate-limited');
  // A proxy or dev server in front of a stopped worker answers 502/503/504: the collector is unreachable.
  if (res.status >= 502 && res.status <= 504)
    throw new ApiError('unreachable', res.status, `the collector answered ${res.status}`);
  throw new ApiError('server', res.status, body.error ?? `HTTP ${res.status}`);
}
