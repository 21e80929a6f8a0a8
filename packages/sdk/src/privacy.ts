// Privacy: the signals the browser sends (Do Not Track, Global Privacy Control) and the visitor's consent.
import { CONSENT_KEY } from './keys.ts';
import { store } from './local-store.ts';

/** Whether the browser asks not to be tracked (Do Not Track or Global Privacy Control). */
export const optedOut = (): boolean =>
  navigator.doNotTrack == '1' || !!(navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl;

/** Whether the visitor withdrew consent (`consent(false)`, kept across pages until `consent(true)`). */
export const withdrawn = (): boolean => store(CONSENT_KEY) == '0';
