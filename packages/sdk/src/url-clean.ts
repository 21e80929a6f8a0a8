// Cleans a page URL before it leaves the page: query strings carry search terms, emails and tokens.

/**
 * Drops the query string and fragment of `href`, keeping `utm_*` parameters and those listed in `keep` (default none).
 * @example cleanUrl('https://a.example/p?q=mug&utm_source=x#top', []) // 'https://a.example/p?utm_source=x'
 */
export function cleanUrl(href: string, keep?: readonly string[] | null): string {
  const [base, query = ''] = href.split('#')[0]!.split('?');
  const kept = query.split('&').filter((param) => param.startsWith('utm_') || keep?.includes(param.split('=')[0]!));
  return kept[0] ? base + '?' + kept.join('&') : base!;
}

/**
 * The name of the first ad click-id parameter (`gclid`, `fbclid`, …) in the query string `search`: what makes a visit
 * paid. Only the name leaves the page, never the value (an identifier of the click).
 * @example clickId('?q=1&fbclid=AbC') // 'fbclid'
 */
export const clickId = (search: string): string | undefined => CLICK_ID.exec(search)?.[1];

/** The protocol's CLICK_ID_PARAMS as one pattern over a query string (url-clean.test.ts proves them equal). */
export const CLICK_ID = /[?&](gclid|gbraid|wbraid|msclkid|fbclid|ttclid|li_fat_id)=/;
