// The page's question in its URL: period, dimension filters and trend interval, kept in the fragment so that a link
// can be shared and a reload asks the same (the fragment never reaches a server; the read token is never in it).
import { DIMENSIONS, type Dimension, INTERVALS, type Interval } from '@parcours/protocol';
import { customRange, presetRange, utcDay, type DateRange } from './range.ts';
import { readablePath } from './format.ts';

/** Dimension filters: each dimension with the values any of which a session must have. */
export type Filters = ReadonlyArray<{ dimension: Dimension; values: readonly string[] }>;

/** What the page shows: period, filters, and the trend's interval. */
export interface View {
  range: DateRange;
  filters: Filters;
  interval: Interval;
}

/** The words a dimension is shown with. */
export const DIMENSION_LABELS: Record<Dimension, string> = {
  channel: 'Channel',
  source: 'Source',
  medium: 'Medium',
  campaign: 'Campaign',
  referrer: 'Referrer',
  landing: 'Landing page',
  device: 'Device',
  browser: 'Browser',
  os: 'OS',
  country: 'Country',
};

const isDimension = (name: string): name is Dimension => (DIMENSIONS as readonly string[]).includes(name);

/** The view a fragment (`#period=7&channel=email,paid_search&interval=week`) names; what it lacks from `fallback`. */
export function parseView(hash: string, fallback: DateRange): View {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const period = params.get('period');
  let range = fallback;
  if (period && ['7', '30', '90'].includes(period)) range = presetRange(Number(period));
  else if (period === 'custom') range = customRange(params.get('from') ?? '', params.get('to') ?? '') ?? fallback;
  const filters: Array<{ dimension: Dimension; values: string[] }> = [];
  for (const [name, value] of params) {
    if (!isDimension(name) || filters.some((f) => f.dimension === name)) continue;
    const values = [...new Set(value.split(',').filter(Boolean))];
    if (values.length) filters.push({ dimension: name, values });
  }
  const interval = params.get('interval');
  return {
    range,
    filters,
    interval: (INTERVALS as readonly string[]).includes(interval ?? '') ? (interval as Interval) : 'day',
  };
}

/** The fragment of a view, the inverse of parseView. */
export function viewHash(v: View): string {
  const params = new URLSearchParams({ period: v.range.preset });
  if (v.range.preset === 'custom') {
    params.set('from', utcDay(v.range.from));
    params.set('to', utcDay(v.range.to - 1));
  }
  for (const f of v.filters) params.set(f.dimension, f.values.join(','));
  if (v.interval !== 'day') params.set('interval', v.interval);
  return `#${params.toString()}`;
}

/** The reports API's filter parameters (`&channel=email&device=mobile`), '' without filters. */
export function filterQuery(filters: Filters): string {
  return filters.map((f) => `&${f.dimension}=${encodeURIComponent(f.values.join(','))}`).join('');
}

/** The filters with `value` of `dimension` added (any of a dimension's values matches). */
export function withFilter(filters: Filters, dimension: Dimension, value: string): Filters {
  const known = filters.find((f) => f.dimension === dimension);
  if (!known) return [...filters, { dimension, values: [value] }];
  if (known.values.includes(value)) return filters;
  return filters.map((f) => (f === known ? { dimension, values: [...f.values, value] } : f));
}

/** The filters without `value` of `dimension` (a dimension left with no value is no filter). */
export function withoutFilter(filters: Filters, dimension: Dimension, value: string): Filters {
  return filters
    .map((f) => (f.dimension === dimension ? { dimension, values: f.values.filter((v) => v !== value) } : f))
    .filter((f) => f.values.length > 0);
}

const REGIONS = new Intl.DisplayNames(['en'], { type: 'region' });

/**
 * A value as a person reads it: countries by name (`France (FR)`), channels in words (`Organic search`), landing pages
 * decoded (`/produits/café`).
 */
export function valueLabel(dimension: Dimension, value: string): string {
  if (dimension === 'country') {
    if (value === 'XX') return 'Unknown (XX)';
    try {
      return `${REGIONS.of(value) ?? value} (${value})`;
    } catch {
      return value;
    }
  }
  if (dimension === 'channel') return (value.charAt(0).toUpperCase() + value.slice(1)).replaceAll('_', ' ');
  if (dimension === 'landing') return readablePath(value);
  return value;
}
