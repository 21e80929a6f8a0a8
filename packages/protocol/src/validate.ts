// The one validator of the wire format: turns an untrusted parsed body into clean events or error codes.
import {
  CONTACT_LIKE,
  MAX_BATCH_EVENTS,
  MAX_CUSTOMER_LENGTH,
  MAX_ERROR_LENGTH,
  MAX_FIELDS,
  MAX_TARGET_LENGTH,
  MAX_ITEMS,
  MAX_NAME_LENGTH,
  MAX_PRICE,
  MAX_PROPS,
  MAX_QUANTITY,
  MAX_STAGES,
  MAX_ITEM_TEXT_LENGTH,
  MAX_TEXT_LENGTH,
  MAX_TS,
  MAX_URL_LENGTH,
  MAX_VALUE,
  MIN_TS,
  OUTBOX_CAP,
} from './limits.ts';
import { CLICK_ID_CHANNELS } from './dimensions.ts';
import { FEEDBACK, FEEDBACK_SCALES, type FeedbackKind, isScore, SURVEY_EVENTS } from './feedback.ts';
import { CART_EVENTS, DEFAULT_STAGES, EVENT_DEFAULT_STAGE, PATH_HEURISTICS } from './stages.ts';
import {
  WIRE_VERSION,
  type BatchError,
  type EventError,
  type FieldStats,
  type Item,
  type Rejection,
  type WireEvent,
} from './wire.ts';

export interface ParsedBatch {
  ok: true;
  site: string;
  sent_at: number;
  dropped: number;
  /** Valid events, each with its index in the batch. */
  events: Array<{ index: number; event: WireEvent }>;
  rejected: Rejection[];
}

export type ParseResult = ParsedBatch | { ok: false; error: BatchError };

export interface ParseOptions {
  /** The site's ordered stages; an event whose stage is not among them is rejected with `unknown-stage`. */
  stages?: readonly string[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const EVENT_TYPE = /^[A-Za-z][A-Za-z0-9_ .:-]*$/;
const CURRENCY = /^[A-Za-z]{3}$/;
const DECIMAL = /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i;
/** GA4's event for money given back. */
const REFUND = 'refund';
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

// A plain field, not a parameter property: Node's type stripping (the bench imports this package) refuses those.
class Reject extends Error {
  readonly code: EventError;
  constructor(code: EventError) {
    super(code);
    this.code = code;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Control and format characters (Unicode Cc, Cf) and lone surrogates (Cs: they cannot be stored as UTF-8):
 * NUL, ESC and the other C0/C1 controls, tabs and newlines, bidi overrides (U+202E) and isolates, zero-width
 * spaces (U+200B), BOMs, soft hyphens. They render as nothing or reorder what follows: in a form name or a
 * title they would make two identical-looking rows, or a dashboard cell that reads backwards. Kept: ZWNJ and
 * ZWJ (U+200C, U+200D), part of the spelling of Persian, Hindi and other scripts and of emoji sequences.
 */
const CONTROL = /(?![\u200C\u200D])[\p{Cc}\p{Cf}\p{Cs}]/gu;

/** Removes control and format characters and lone surrogates (see CONTROL). */
export function stripControls(s: string): string {
  return s.replace(CONTROL, '');
}

/** Cuts to `max` UTF-16 code units, never between the halves of a surrogate pair. */
function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  const end = /[\uD800-\uDBFF]/.test(s[max - 1] ?? '') ? max - 1 : max;
  return s.slice(0, end);
}

/** A text as stored: control and format characters and lone surrogates removed (see CONTROL), cut to `max` code units. */
export function cleanText(s: string, max: number): string {
  return cut(stripControls(s), max);
}

function name(v: unknown, code: EventError, pattern = NAME): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_NAME_LENGTH || !pattern.test(v)) throw new Reject(code);
  return v;
}

function optText(v: unknown, max = MAX_TEXT_LENGTH): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new Reject('invalid-event');
  return cleanText(v, max);
}

function optNumber(v: unknown, min: number, max: number, integer = false): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new Reject('invalid-number');
  return integer ? Math.round(v) : v;
}

function url(v: unknown): string {
  if (typeof v !== 'string') throw new Reject('invalid-url');
  const s = cleanText(v, MAX_URL_LENGTH);
  if (!/^https?:\/\/[^\s/]+/i.test(s)) throw new Reject('invalid-url');
  return s;
}

/**
 * A cart amount read the way GA4 reads it: a number, or a string holding one in decimal notation
 * (tag managers and data- attributes send "12.50"); undefined when absent or unreadable ("", "free",
 * an object: left out, the event kept). A readable amount outside [min, max] (a negative price or
 * value, Infinity), or not a whole number when `integer`, rejects the event: `invalid-amount`.
 */
function amount(v: unknown, min: number, max: number, integer = false): number | undefined {
  // Decimal notation only: Number() would also read "0x10", "0b11" or "" (0).
  const n = typeof v === 'string' && DECIMAL.test(v) ? Number(v) : v;
  if (typeof n !== 'number') return undefined;
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n)))
    throw new Reject('invalid-amount');
  return n;
}

/** A cart text (item id, name, …, transaction id): a string, or a finite number written out (item id 42 is "42"). */
function cartText(v: unknown, max = MAX_ITEM_TEXT_LENGTH): string | undefined {
  const t = typeof v === 'number' && Number.isFinite(v) ? String(v) : v;
  return typeof t === 'string' ? cut(stripControls(t).trim(), max) || undefined : undefined;
}

/**
 * The cart lines: GA4 fields only, read leniently (see `amount`, `cartText`). A line with neither id nor
 * name, with a quantity that cannot be read, or that is not an object, is left out, and so are lines past
 * MAX_ITEMS; undefined when none is left.
 */
function items(v: unknown): Item[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: Item[] = [];
  for (const raw of v.slice(0, MAX_ITEMS)) {
    if (!isRecord(raw)) continue;
    const item: Item = {};
    for (const k of ['item_id', 'item_name', 'item_category', 'item_variant', 'item_brand'] as const) {
      const t = cartText(raw[k]);
      if (t) item[k] = t;
    }
    if (!item.item_id && !item.item_name) continue;
    const price = amount(raw.price, 0, MAX_PRICE);
    if (price !== undefined) item.price = price;
    // No quantity is one; a quantity that cannot be read ("two") leaves the line out rather than guess its value.
    const quantity = raw.quantity == null ? 1 : amount(raw.quantity, 1, MAX_QUANTITY, true);
    if (quantity === undefined) continue;
    item.quantity = quantity;
    out.push(item);
  }
  return out.length ? out : undefined;
}

/**
 * The per-field `fields` of a form event, the first MAX_FIELDS: an entry that is not an object or has no field name is
 * left out; its counts are numbers ≥ 0 (absent: 0; another type rejects the event, as for every number); undefined
 * when no entry is left.
 */
function fieldStats(v: unknown): FieldStats[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: FieldStats[] = [];
  for (const raw of v.slice(0, MAX_FIELDS)) {
    if (!isRecord(raw) || typeof raw.field !== 'string' || !raw.field.trim()) continue;
    const entry: FieldStats = {
      field: cleanText(raw.field, MAX_ITEM_TEXT_LENGTH),
      refocuses: optNumber(raw.refocuses, 0, 1e6, true) ?? 0,
      errors: optNumber(raw.errors, 0, 1e6, true) ?? 0,
    };
    const hesitation = optNumber(raw.hesitation_ms, 0, 366 * 864e5, true);
    if (hesitation !== undefined) entry.hesitation_ms = hesitation;
    out.push(entry);
  }
  return out.length ? out : undefined;
}

function props(v: unknown): WireEvent['props'] {
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) throw new Reject('invalid-event');
  const out: NonNullable<WireEvent['props']> = {};
  let n = 0;
  for (const [raw, val] of Object.entries(v)) {
    if (n >= MAX_PROPS) break;
    // Keys are texts too; checked after cleaning, or "__pro\u200Bto__" would become the key that sets a prototype.
    const k = stripControls(raw);
    if (FORBIDDEN_KEYS.has(k) || k.length === 0 || k.length > MAX_NAME_LENGTH || Object.hasOwn(out, k)) continue;
    if (typeof val === 'string') out[k] = cleanText(val, MAX_TEXT_LENGTH);
    else if (typeof val === 'number' && Number.isFinite(val)) out[k] = val;
    else if (typeof val === 'boolean' || val === null) out[k] = val;
    else continue; // nested objects, arrays, NaN: not kept
    n++;
  }
  return out;
}

/**
 * The stage of an event sent without one, as a server-side sender may (the tag always sends it): the rules that need
 * no page (docs/PROTOCOL.md, "Which stage an event gets"): the event's own stage (`decision` for a commerce act,
 * `consideration` for `view_item`), then the path heuristics on its URL, else the first stage; a name the site's
 * list lacks is skipped. Page declarations, URL rules and the customer rule live in the page: only the tag applies them.
 * @example stageWithoutPage('purchase', 'https://shop.example/thanks', DEFAULT_STAGES) // 'decision'
 */
function stageWithoutPage(type: string, url: string, stages: readonly string[]): string {
  const known = (stage: string | undefined) => (stage && stages.includes(stage) ? stage : undefined);
  const path = /^https?:\/\/[^/?#]*([^?#]*)/i.exec(url)?.[1] || '/';
  return (
    known(EVENT_DEFAULT_STAGE[type]) ??
    known(PATH_HEURISTICS.find(([pattern]) => pattern.test(path))?.[1]) ??
    stages[0]!
  );
}

/** Validates one event; throws `Reject` with the first problem found. Unknown fields are dropped. */
function parseEvent(raw: unknown, stages: readonly string[] | undefined): WireEvent {
  if (!isRecord(raw)) throw new Reject('invalid-event');
  const ev: WireEvent = {
    id: name(raw.id, 'invalid-id'),
    type: name(raw.type, 'invalid-type', EVENT_TYPE),
    ts: 0,
    // Filled below from the type and URL when the sender gave none.
    stage: raw.stage === undefined ? '' : name(raw.stage, 'invalid-stage'),
    visitor: name(raw.visitor, 'invalid-visitor'),
    session: name(raw.session, 'invalid-session'),
    url: url(raw.url),
  };
  ev.stage ||= stageWithoutPage(ev.type, ev.url, stages ?? DEFAULT_STAGES);
  if (typeof raw.ts !== 'number' || !Number.isFinite(raw.ts) || raw.ts < MIN_TS || raw.ts > MAX_TS)
    throw new Reject('invalid-ts');
  ev.ts = Math.round(raw.ts);
  if (stages && !stages.includes(ev.stage)) throw new Reject('unknown-stage');

  const title = optText(raw.title);
  if (title !== undefined) ev.title = title;
  const referrer = optText(raw.referrer, MAX_URL_LENGTH);
  if (referrer) ev.referrer = referrer;
  // A page view's click-id parameter name; any other value (or on another event) is dropped, the event kept.
  if (ev.type === 'page_view' && typeof raw.click_id === 'string' && Object.hasOwn(CLICK_ID_CHANNELS, raw.click_id))
    ev.click_id = raw.click_id as WireEvent['click_id'];
  const duration = optNumber(raw.duration_ms, 0, 366 * 864e5, true);
  if (duration !== undefined) ev.duration_ms = duration;
  const scroll = optNumber(raw.scroll_pct, 0, 100, true);
  if (scroll !== undefined) ev.scroll_pct = scroll;
  const form = optText(raw.form, MAX_ITEM_TEXT_LENGTH);
  if (form !== undefined) ev.form = form;
  const lastField = optText(raw.last_field, MAX_ITEM_TEXT_LENGTH);
  if (lastField !== undefined) ev.last_field = lastField;
  const touched = optNumber(raw.fields_touched, 0, 10_000, true);
  if (touched !== undefined) ev.fields_touched = touched;
  const fields = fieldStats(raw.fields);
  if (fields) ev.fields = fields;
  const target = optText(raw.target, MAX_TARGET_LENGTH);
  if (target) ev.target = target;
  const clicks = optNumber(raw.clicks, 1, 1e6, true);
  if (clicks !== undefined) ev.clicks = clicks;
  const error = optText(raw.error, MAX_ERROR_LENGTH);
  if (error) ev.error = error;
  const field = optText(raw.field, MAX_ITEM_TEXT_LENGTH);
  if (field) ev.field = field;
  // Cart fields are read leniently, as GA4 reads them: what cannot be read is left out and the event is kept.
  const its = items(raw.items);
  if (its) ev.items = its;
  const value = amount(raw.value, 0, MAX_VALUE);
  if (value !== undefined) ev.value = value;
  // A refund says how much went back: GA4's `refund`, always a positive amount (never a negative purchase).
  if (ev.type === REFUND && !(value! > 0)) throw new Reject('invalid-amount');
  if (typeof raw.currency === 'string' && CURRENCY.test(raw.currency)) ev.currency = raw.currency.toUpperCase();
  const tx = cartText(raw.transaction_id, MAX_NAME_LENGTH * 2);
  if (tx) ev.transaction_id = tx;
  // A customer reference travels with cart events only; one that looks like an email address or a phone number is
  // contact data, never stored: left out, the event kept (as the script refuses it in identify()).
  const customer = (CART_EVENTS as readonly string[]).includes(ev.type)
    ? cartText(raw.customer, MAX_CUSTOMER_LENGTH + 1)
    : undefined;
  if (customer && customer.length <= MAX_CUSTOMER_LENGTH && !CONTACT_LIKE.test(customer)) ev.customer = customer;
  const p = props(raw.props);
  if (p && Object.keys(p).length) ev.props = p;
  if ((SURVEY_EVENTS as readonly string[]).includes(ev.type)) feedback(ev, raw);
  return ev;
}

/**
 * The fields of a survey event: `kind` a known scale; a `feedback`'s `score` a whole number on it; `survey` a name,
 * optional on `feedback` (a site's own survey UI), required on `survey_shown` and `survey_dismissed`. Anything else
 * rejects the event (`invalid-feedback`): a score nobody can read is worse than no score.
 */
function feedback(ev: WireEvent, raw: Record<string, unknown>): void {
  const kind = raw.kind;
  if (typeof kind !== 'string' || !Object.hasOwn(FEEDBACK_SCALES, kind)) throw new Reject('invalid-feedback');
  ev.kind = kind as FeedbackKind;
  if (ev.type === FEEDBACK) {
    if (!isScore(ev.kind, raw.score)) throw new Reject('invalid-feedback');
    ev.score = raw.score;
  }
  if (raw.survey != null || ev.type !== FEEDBACK) ev.survey = name(raw.survey, 'invalid-feedback');
}

/**
 * Validates a parsed request body. A malformed envelope refuses the whole batch; a bad
 * event is listed in `rejected` by index and every valid event is kept.
 *
 * @example
 * const r = parseBatch(JSON.parse(body), { stages: site.stages });
 * if (!r.ok) return c.json({ error: r.error }, 400);
 */
export function parseBatch(body: unknown, options: ParseOptions = {}): ParseResult {
  if (!isRecord(body) || !Array.isArray(body.events)) return { ok: false, error: 'invalid-batch' };
  if (body.v !== WIRE_VERSION) return { ok: false, error: 'unsupported-version' };
  if (typeof body.site !== 'string' || body.site.length > MAX_NAME_LENGTH || !NAME.test(body.site))
    return { ok: false, error: 'invalid-site' };
  const sentAt = body.sent_at;
  if (typeof sentAt !== 'number' || !Number.isFinite(sentAt) || sentAt < MIN_TS || sentAt > MAX_TS)
    return { ok: false, error: 'invalid-sent-at' };
  if (body.events.length > MAX_BATCH_EVENTS) return { ok: false, error: 'too-many-events' };
  // Clamped, not refused: a 400 would make the script drop the batch's real events along with a bad count.
  const dropped =
    typeof body.dropped === 'number' && Number.isFinite(body.dropped) && body.dropped > 0
      ? Math.min(Math.round(body.dropped), OUTBOX_CAP)
      : 0;

  const result: ParsedBatch = {
    ok: true,
    site: body.site,
    sent_at: Math.round(sentAt),
    dropped,
    events: [],
    rejected: [],
  };
  const seen = new Set<string>();
  body.events.forEach((raw, index) => {
    try {
      const event = parseEvent(raw, options.stages);
      if (seen.has(event.id)) throw new Reject('duplicate-in-batch');
      seen.add(event.id);
      result.events.push({ index, event });
    } catch (e) {
      if (!(e instanceof Reject)) throw e;
      result.rejected.push({ index, error: e.code });
    }
  });
  return result;
}

/** Validates a site's declared stage list: 1..MAX_STAGES distinct names. */
export function isStageList(v: unknown): v is string[] {
  return (
    Array.isArray(v) &&
    v.length > 0 &&
    v.length <= MAX_STAGES &&
    v.every((s) => typeof s === 'string' && s.length <= MAX_NAME_LENGTH && NAME.test(s)) &&
    new Set(v).size === v.length
  );
}
