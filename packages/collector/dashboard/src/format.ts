// How numbers read on the page: counts, rates as percentages, durations, money, and changes between periods.
import type { Money } from './types.ts';

const INT = new Intl.NumberFormat('en-US');

/** A count with thousands separators: `12,345`. */
export function count(n: number): string {
  return INT.format(n);
}

/** A rate in [0, 1] as a percentage with one decimal at most: `0.625` → `62.5%`; null → `–`. */
export function percent(r: number | null | undefined): string {
  if (r === null || r === undefined || !Number.isFinite(r)) return '–';
  return `${(Math.round(r * 1000) / 10).toString()}%`;
}

/** A duration in ms in the two largest units: `1 h 5 min`, `2 min 3 s`, `4.2 s`; null → `–`. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 10) return `${(Math.round(s * 10) / 10).toString()} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ${Math.round(s % 60)} s`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** A money amount in its currency: `€12.50`; ISO 4217's `XXX` (unknown) prints as a bare number. */
export function money(m: Money): string {
  if (m.currency === 'XXX') return `${m.value.toFixed(2)} (no currency)`;
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency: m.currency }).format(m.value);
  } catch {
    return `${m.value.toFixed(2)} ${m.currency}`;
  }
}

/** A list of amounts, one per currency: `€12.50 · $3.00`; empty → `–`. */
export function moneyList(list: Money[]): string {
  return list.length ? list.map(money).join(' · ') : '–';
}

/**
 * A page path as a person reads it: the collector keeps paths as browsers send them, percent-encoded
 * (`/produits/caf%C3%A9`), which is unreadable in any language but English. Decoded for display (`/produits/café`),
 * except where decoding fails or would print an invisible or control character (a right-to-left override could
 * make one path look like another): then as stored.
 */
export function readablePath(path: string): string {
  try {
    const decoded = decodeURI(path);
    return /\p{C}/u.test(decoded) ? path : decoded;
  } catch {
    return path;
  }
}

/** Whether a higher value of a KPI is good news, bad news, or neither. */
export type Polarity = 'up-good' | 'up-bad' | 'neutral';

/** A change between two periods, ready to print. */
export interface Delta {
  text: string;
  /** For screen readers and the title: the change in words. */
  label: string;
  tone: 'good' | 'bad' | 'flat';
}

function tone(diff: number, polarity: Polarity): Delta['tone'] {
  if (diff === 0 || polarity === 'neutral') return 'flat';
  return diff > 0 === (polarity === 'up-good') ? 'good' : 'bad';
}

/** The change of a rate in percentage points: `▲ 4.2 pts`; null when either side is missing. */
export function rateDelta(
  now: number | null | undefined,
  before: number | null | undefined,
  polarity: Polarity,
): Delta | null {
  if (now === null || now === undefined || before === null || before === undefined) return null;
  const pts = Math.round((now - before) * 1000) / 10;
  if (pts === 0) return { text: '= same', label: 'unchanged from the previous period', tone: 'flat' };
  const arrow = pts > 0 ? '▲' : '▼';
  const abs = Math.abs(pts).toString();
  return {
    text: `${arrow} ${abs} pts`,
    label: `${pts > 0 ? 'up' : 'down'} ${abs} percentage points from ${percent(before)}`,
    tone: tone(pts, polarity),
  };
}

/** The relative change of an amount or duration: `▲ 12%`; `new` when the previous period had none. */
export function relativeDelta(
  now: number | null | undefined,
  before: number | null | undefined,
  polarity: Polarity,
  show: (v: number) => string = count,
): Delta | null {
  if (now === null || now === undefined) return null;
  if (before === null || before === undefined || before === 0) {
    if (!now) return { text: '= same', label: 'unchanged from the previous period', tone: 'flat' };
    return { text: 'new', label: 'none in the previous period', tone: 'flat' };
  }
  const pct = Math.round(((now - before) / before) * 100);
  if (pct === 0) return { text: '= same', label: `about the same as ${show(before)}`, tone: 'flat' };
  const arrow = pct > 0 ? '▲' : '▼';
  return {
    text: `${arrow} ${Math.abs(pct)}%`,
    label: `${pct > 0 ? 'up' : 'down'} ${Math.abs(pct)}% from ${show(before)}`,
    tone: tone(pct, polarity),
  };
}
