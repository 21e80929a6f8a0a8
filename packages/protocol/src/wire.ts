// The wire format: the batch a script posts to `POST /v1/events` and the collector's reply.
import type { ClickIdParam } from './dimensions.ts';
import type { FeedbackKind } from './feedback.ts';

export const WIRE_VERSION = 1;

/** One cart line, GA4 item fields. */
export interface Item {
  item_id?: string;
  item_name?: string;
  item_category?: string;
  item_variant?: string;
  item_brand?: string;
  price?: number;
  quantity?: number;
}

/** One field of a form, in `fields`. */
export interface FieldStats {
  /** The field's `name` or `id`. */
  field: string;
  /** Time from its first focus to its first input, ms; absent when never typed in. */
  hesitation_ms?: number;
  /** Times it was focused again after the first. */
  refocuses: number;
  /** Times it failed validation (`field_error`). */
  errors: number;
}

/** One event as it travels. Fields past the common ones depend on `type` (see docs/PROTOCOL.md "Events"). */
export interface WireEvent {
  /** Client-made UUID; the collector stores each id once per site. */
  id: string;
  type: string;
  /** Client clock (ms since epoch) when the event happened. */
  ts: number;
  stage: string;
  visitor: string;
  session: string;
  /** Page URL without query string and fragment, except kept parameters. */
  url: string;
  title?: string;
  referrer?: string;
  /** page_view: the name (never the value) of a click-id parameter the landing URL carried (`gclid`, `fbclid`, …). */
  click_id?: ClickIdParam;
  duration_ms?: number;
  scroll_pct?: number;
  form?: string;
  last_field?: string;
  fields_touched?: number;
  /** `form_abandon`, `form_submit`: per field touched (at most MAX_FIELDS), how people stopped, came back, failed. */
  fields?: FieldStats[];
  /** Friction events: the element, by `data-parcours-name`, `id`, `name` or tag path (`button.buy`); never its text. */
  target?: string;
  /** `rage_click`: how many clicks. */
  clicks?: number;
  /** `error_click`: the error's name, script file name and line (`"TypeError app.js:12"`), never its message. */
  error?: string;
  /** `field_error`: the field's `name` or `id`. */
  field?: string;
  items?: Item[];
  value?: number;
  currency?: string;
  transaction_id?: string;
  /** Cart events only: the page's opaque customer reference (`identify(ref)`), never contact data (see CONTACT_LIKE). */
  customer?: string;
  props?: Record<string, string | number | boolean | null>;
  /** `feedback`, `survey_shown`, `survey_dismissed`: the scale asked. */
  kind?: FeedbackKind;
  /** `feedback`: a whole score on the kind's scale (FEEDBACK_SCALES); never text. */
  score?: number;
  /** `feedback` (optional), `survey_shown`, `survey_dismissed` (required): the survey's id. */
  survey?: string;
}

export interface Batch {
  v: typeof WIRE_VERSION;
  site: string;
  /** Client clock when the batch was sent: the collector corrects skew with it. */
  sent_at: number;
  events: WireEvent[];
  /** Events the script's outbox dropped (over its cap) since the last acknowledged batch. */
  dropped?: number;
}

export interface Rejection {
  index: number;
  error: EventError;
}

/** `200` reply to a batch. */
export interface BatchReply {
  accepted: number;
  duplicates: number;
  rejected: Rejection[];
  /** Valid events counted but not stored because the sender is a bot or crawler; present only when not 0. */
  filtered?: number;
}

/** `4xx` reply. */
export interface ErrorReply {
  error: BatchError | string;
}

/** Why a whole batch is refused (400). */
export type BatchError =
  | 'invalid-json'
  | 'invalid-batch'
  | 'unsupported-version'
  | 'invalid-site'
  | 'invalid-sent-at'
  | 'too-many-events';

/** Why one event of a batch is refused (listed in the 200 reply). */
export type EventError =
  | 'invalid-event'
  | 'invalid-id'
  | 'invalid-type'
  | 'invalid-ts'
  | 'invalid-stage'
  | 'unknown-stage'
  | 'invalid-visitor'
  | 'invalid-session'
  | 'invalid-url'
  | 'invalid-number'
  /** A negative `value` or `price`, a quantity not a whole number from 1, an amount over its limit, a `refund` without a positive `value`. */
  | 'invalid-amount'
  /** A `feedback` without a known `kind` or with a score off its scale (11, -1, 4.5, "5"); a survey event without a survey id. */
  | 'invalid-feedback'
  | 'duplicate-in-batch'
  /** Set by the collector, not the validator: the database refused this valid event on its own (the others were kept). */
  | 'storage-failed';
