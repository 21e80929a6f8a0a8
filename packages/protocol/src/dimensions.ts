// Session dimensions: the click-id parameter names the tag may send, channel and device values, and the names reports filter by.

/**
 * Landing-page query parameters that mark a click on a paid ad, and the channel each implies.
 * The tag sends only the parameter's name as a page view's `click_id`, never its value.
 */
export const CLICK_ID_CHANNELS = {
  gclid: 'paid_search',
  gbraid: 'paid_search',
  wbraid: 'paid_search',
  msclkid: 'paid_search',
  fbclid: 'paid_social',
  ttclid: 'paid_social',
  li_fat_id: 'paid_social',
} as const;

export type ClickIdParam = keyof typeof CLICK_ID_CHANNELS;

/** The click-id parameter names, in the order the tag looks for them. */
export const CLICK_ID_PARAMS = Object.keys(CLICK_ID_CHANNELS) as ClickIdParam[];

/** Where a session came from, modelled on GA4's default channel grouping. */
export const CHANNELS = [
  'direct',
  'organic_search',
  'paid_search',
  'organic_social',
  'paid_social',
  'email',
  'referral',
  'display',
  'affiliate',
  'other',
] as const;

export type Channel = (typeof CHANNELS)[number];

/** Device classes read from the User-Agent. */
export const DEVICES = ['desktop', 'mobile', 'tablet', 'other'] as const;

export type Device = (typeof DEVICES)[number];

/** Every session dimension: report filters (`?channel=email`) and `breakdown?by=` take these names. */
export const DIMENSIONS = [
  'channel',
  'source',
  'medium',
  'campaign',
  'referrer',
  'landing',
  'device',
  'browser',
  'os',
  'country',
] as const;

export type Dimension = (typeof DIMENSIONS)[number];

/** Intervals of the `timeseries` report. */
export const INTERVALS = ['hour', 'day', 'week'] as const;

export type Interval = (typeof INTERVALS)[number];
