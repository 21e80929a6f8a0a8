// Privacy signals the browser sends: Do Not Track and Global Privacy Control.

/** Whether the browser asks not to be tracked (Do Not Track or Global Privacy Control). */
export const optedOut = (): boolean => navigator.doNotTrack == '1' || !!(navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl;
