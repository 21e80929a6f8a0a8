// Reads the public reports API of this page's own origin with the site's read token.
import { filterQuery, type Filters } from './filters.ts';
import { rangeQuery, type DateRange } from './range.ts';
import type { Credentials } from './session.ts';
import type { Reports } from './types.ts';

/** Why a report could not be read: the codes the page explains to a person. */
export type ApiErrorCode = 'unauthorized' | 'not-found' | 'unreachable' | 'invalid-query' | 'server';

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
 * (`&by=channel`); throws ApiError.
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
  let res: Response;
  try {
    res = await fetchFn(url, {
      headers: { authorization: `Bearer ${creds.token}`, accept: 'application/json' },
      cache: 'no-store',
    });
  } catch {
    throw new ApiError('unreachable', 0, 'the collector did not answer');
  }
  if (res.ok) {
    try {
      return (await res.json()) as Reports[K];
    } catch {
      throw new ApiError('server', res.status, `the ${report} report was not valid JSON`);
    }
  }
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  if (res.status === 401) throw new ApiError('unauthorized', 401, body.error ?? 'unauthorized');
  if (res.status === 404) throw new ApiError('not-found', 404, body.error ?? 'not-found');
  if (res.status === 400) throw new ApiError('invalid-query', 400, body.error ?? 'invalid-query');
  // A proxy or dev server in front of a stopped worker answers 502/503/504: the collector is unreachable.
  if (res.status >= 502 && res.status <= 504)
    throw new ApiError('unreachable', res.status, `the collector answered ${res.status}`);
  throw new ApiError('server', res.status, body.error ?? `HTTP ${res.status}`);
}
