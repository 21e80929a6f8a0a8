// Date ranges: the 7/30/90-day presets, custom UTC days, and the previous period of the same length.

const DAY = 86_400_000;

/** A half-open time window `[from, to)` in ms since epoch, and how it was chosen. */
export interface DateRange {
  from: number;
  to: number;
  /** `'7'`, `'30'`, `'90'` or `'custom'`. */
  preset: string;
}

/** The last `days` days up to `now`. */
export function presetRange(days: number, now = Date.now()): DateRange {
  return { from: now - days * DAY, to: now, preset: String(days) };
}

/** Whole UTC days from `fromDay` to `toDay` inclusive (`YYYY-MM-DD`), or null when invalid or reversed. */
export function customRange(fromDay: string, toDay: string): DateRange | null {
  const from = Date.parse(`${fromDay}T00:00:00Z`);
  const to = Date.parse(`${toDay}T00:00:00Z`) + DAY;
  if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to) return null;
  return { from, to, preset: 'custom' };
}

/** The period of the same length just before `r`, to compare against. */
export function previousRange(r: DateRange): DateRange {
  const len = r.to - r.from;
  return { from: r.from - len, to: r.from, preset: r.preset };
}

/** The `?from=&to=` query of the reports API for a range. */
export function rangeQuery(r: DateRange): string {
  return `from=${encodeURIComponent(new Date(r.from).toISOString())}&to=${encodeURIComponent(new Date(r.to).toISOString())}`;
}

/** `YYYY-MM-DD` of a time, in UTC (the date inputs show UTC days, as the API counts them). */
export function utcDay(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

/** The range's days in words, e.g. "1 Nov 2026 – 30 Nov 2026 (30 days, UTC)". */
export function describeRange(r: DateRange): string {
  const fmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
  const days = Math.round((r.to - r.from) / DAY);
  const last = r.preset === 'custom' ? r.to - DAY : r.to;
  return `${fmt.format(r.from)} – ${fmt.format(last)} (${days} day${days === 1 ? '' : 's'}, UTC)`;
}
