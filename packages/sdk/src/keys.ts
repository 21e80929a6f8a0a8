// Every storage key the script uses, in one place (the README lists them under "Privacy"). All start with `pc`.

/** "visitor session last-activity" (ids.ts). */
export const IDS_KEY = 'pcs';
/** `'1'` once the visitor purchased: a customer (tracker.ts, carts). */
export const PURCHASED_KEY = 'pcc';
/** `'0'` when consent was withdrawn, `'1'` when given (privacy.ts, tracker.ts). */
export const CONSENT_KEY = 'pco';
/** Events the outbox dropped and has not yet reported to the collector (outbox.ts). */
export const DROPPED_KEY = 'pcl';
/** The customer reference of `identify()` (customer.ts, carts). */
export const CUSTOMER_KEY = 'pci';
/** sessionStorage: this tab's last page view (url, stage, time), for a quick back (friction.ts). */
export const QUICK_BACK_KEY = 'pcb';
/** Prefix of each page's copy of its waiting events, written when it is hidden (outbox.ts). */
export const SAVED_PREFIX = 'pcq';
/** The time (ms) until which this visitor is shown no survey: the cooldown of the last one shown, across tabs (surveys.ts). */
export const SURVEY_KEY = 'pcv';
