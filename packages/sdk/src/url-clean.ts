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
