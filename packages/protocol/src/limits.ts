// Limits of the wire format: what one request and one event may hold.

/** Largest request body the collector reads, in bytes. */
export const MAX_BODY_BYTES = 1_000_000;
/** Most events one batch may carry. */
export const MAX_BATCH_EVENTS = 500;
/**
 * Most events the script's outbox keeps (past it the oldest are dropped and counted), and so the most
 * drops one batch may report in `dropped`: a larger count is clamped to it.
 */
export const OUTBOX_CAP = 1000;
/** Most events the script puts in one request. */
export const SDK_BATCH_EVENTS = 50;
/** Largest body the script puts in one request: well under the 64 KiB keepalive budget. */
export const SDK_BATCH_BYTES = 48_000;
/** Longest id, visitor, session, site, type or stage. */
export const MAX_NAME_LENGTH = 64;
/** Longest url or referrer; longer ones are cut. */
export const MAX_URL_LENGTH = 2048;
/** Longest title, form, field, item text or prop string; longer ones are cut. */
export const MAX_TEXT_LENGTH = 256;
/** Most items in one cart event. */
export const MAX_ITEMS = 100;
/** Largest item `price`; amounts are never negative (`invalid-amount`). */
export const MAX_PRICE = 1e9;
/** Largest event `value` (a purchase, a cart, a refund). */
export const MAX_VALUE = 1e12;
/** Largest item `quantity`: a whole number from 1. */
export const MAX_QUANTITY = 1e6;
/** Most keys kept in `props`. */
export const MAX_PROPS = 32;
/** Most stages a site may declare. */
export const MAX_STAGES = 20;
/** Earliest and latest event time accepted (2000-01-01 .. 2100-01-01, ms). */
export const MIN_TS = 946_684_800_000;
export const MAX_TS = 4_102_444_800_000;

/**
 * Longest item text (item id, name, category, variant, brand) and name of a form or field (`form`, `last_field`,
 * `field`, a `fields` entry's `field`): names, not prose. Each is stored, grouped and listed per report row, so a
 * longer one is cut here.
 */
export const MAX_ITEM_TEXT_LENGTH = 100;
/** Longest `target` of a friction event (the element's name, never its text). */
export const MAX_TARGET_LENGTH = 80;
/** Longest `error` of an `error_click` (`"TypeError app.js:12"`: name, script file, line; never the message). */
export const MAX_ERROR_LENGTH = 128;
/** Most entries in the per-field `fields` of `form_abandon` and `form_submit`. */
export const MAX_FIELDS = 20;
/** Longest customer reference (`identify(ref)`, sent as `customer` with cart events). */
export const MAX_CUSTOMER_LENGTH = 64;
/**
 * A customer reference that looks like contact data, refused by the script and dropped by the collector: anything
 * with an `@` (an email address), or 7 to 15 digits with only `+`, blanks, dots, dashes or parentheses around them
 * (a phone number). A reference is a key into the shop's own records: `c_1234567`, not `1234567`.
 */
export const CONTACT_LIKE = /@|^\+?(?:[\s().-]*\d){7,15}[\s().-]*$/;
