// Who the synthetic visitors are and where they come from: browsers, countries, and each visit's source and campaign,
// in shares like a small European shop's, so that the seeded demo's sources, devices and countries look real.
import type { ClickIdParam } from '@parcours/protocol';
import type { Random } from './random.ts';

/** A list to draw from, each entry with its weight. */
type Weighted<T> = ReadonlyArray<readonly [weight: number, value: T]>;

/** The entry of `list` that a uniform `u` in [0, 1) falls on, by weight: one draw, whatever the list's length. */
function weighted<T>(u: number, list: Weighted<T>): T {
  const total = list.reduce((sum, [w]) => sum + w, 0);
  let at = u * total;
  for (const [w, value] of list) {
    if (at < w) return value;
    at -= w;
  }
  return list[list.length - 1]![1];
}

/** Browsers by share of visitors: phones first, as in most shops; the collector reads device, browser and OS from these. */
const USER_AGENTS: Weighted<string> = [
  [
    30,
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  ],
  [
    18,
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Mobile Safari/537.36',
  ],
  [
    6,
    'Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36',
  ],
  [
    20,
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36',
  ],
  [
    12,
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  ],
  [
    5,
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36 Edg/142.0.0.0',
  ],
  [4, 'Mozilla/5.0 (X11; Linux x86_64; rv:144.0) Gecko/20100101 Firefox/144.0'],
  [
    5,
    'Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  ],
];

/** Countries (ISO 3166-1 alpha-2) by share of visitors; null: the edge could not tell (reported as `XX`). */
const COUNTRIES: Weighted<string | null> = [
  [22, 'FR'],
  [16, 'DE'],
  [13, 'US'],
  [11, 'GB'],
  [6, 'NL'],
  [5, 'BE'],
  [5, 'ES'],
  [5, 'IT'],
  [4, 'CH'],
  [3, 'CA'],
  [2, 'SE'],
  [2, 'JP'],
  [2, 'AU'],
  [2, null],
];

/** What one visit arrives with: the referrer, the `utm_*` query of its landing URL, the name of a click id. */
export interface Arrival {
  referrer: string;
  query: string;
  clickId?: ClickIdParam;
}

type Campaigns = readonly string[];
/** Where visits come from, by share; a campaign list means tagged links, one of these campaigns each. */
const SOURCES: Weighted<{
  referrer: string;
  utm?: [source: string, medium: string, Campaigns];
  clickId?: ClickIdParam;
}> = [
  [24, { referrer: '' }],
  [20, { referrer: 'https://www.google.com/' }],
  [3, { referrer: 'https://www.bing.com/' }],
  [2, { referrer: 'https://duckduckgo.com/' }],
  [
    8,
    {
      referrer: 'https://www.google.com/',
      utm: ['google', 'cpc', ['brand', 'grinder_launch']],
      clickId: 'gclid',
    },
  ],
  [5, { referrer: 'https://l.instagram.com/' }],
  [3, { referrer: 'https://www.reddit.com/' }],
  [3, { referrer: 'https://news.ycombinator.com/' }],
  [
    6,
    {
      referrer: 'https://m.facebook.com/',
      utm: ['facebook', 'paid_social', ['grinder_launch', 'black_friday']],
      clickId: 'fbclid',
    },
  ],
  [8, { referrer: '', utm: ['newsletter', 'email', ['november_digest', 'black_friday']] }],
  [4, { referrer: 'https://sprudge.com/' }],
  [3, { referrer: 'https://www.seriouseats.com/' }],
  [2, { referrer: 'https://coffeegeek.com/', utm: ['coffeegeek', 'affiliate', ['gear_guide']] }],
  [2, { referrer: '', utm: ['criteo', 'display', ['retargeting']] }],
];

/** A visitor's browser, from one draw `u` of the journey's own stream, and their country from `extra`. */
export function visitorClient(u: number, extra: Random): { userAgent: string; country: string | null } {
  return { userAgent: weighted(u, USER_AGENTS), country: weighted(extra.next(), COUNTRIES) };
}

/** A visit's arrival, from one draw `u` of the journey's own stream and its campaign from `extra`. */
export function visitArrival(u: number, extra: Random): Arrival {
  const s = weighted(u, SOURCES);
  if (!s.utm) return { referrer: s.referrer, query: '' };
  const [source, medium, campaigns] = s.utm;
  const query = `?utm_source=${source}&utm_medium=${medium}&utm_campaign=${extra.pick(campaigns)}`;
  return { referrer: s.referrer, query, ...(s.clickId ? { clickId: s.clickId } : {}) };
}
