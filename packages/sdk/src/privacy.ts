// Privacy: the signals the browser sends (Do Not Track, Global Privacy Control) and the visitor's consent.
import { CONSENT_KEY } from './keys.ts';
import { store } from './local-store.ts';
import { config } from './options.ts';

/** Whether the browser asks not to be tracked (Do Not Track or Global Privacy Control). */
const optedOut = (): boolean =>
  navigator.doNotTrack == '1' || !!(navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl;

/** Whether the visitor withdrew consent (`consent(false)`, kept across pages until `consent(true)`). */
const withdrawn = (): boolean => store(CONSENT_KEY) == '0';

/** Whether nothing may be queued, stored or sent: Do Not Track / GPC (unless `respectDnt` is `off`) or consent withdrawn. */
export const off = (): boolean => (config.respectDnt != 'off' && optedOut()) || withdrawn();
