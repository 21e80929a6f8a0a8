// A session's dimensions from the event that opens it and the request that carried it: where from, on what, in which country.
import { cleanText, type WireEvent } from '@parcours/protocol';
import type { SessionDimensions } from '../db/schema.ts';
import { cutEncoded } from '../ingest/to-row.ts';
import { classifyChannel } from './channel.ts';
import { userAgentFamilies } from './user-agent.ts';

/** What the request tells besides the body, read in memory only (neither is ever stored). */
export interface RequestTraits {
  userAgent: string;
  /** `request.cf.country` (ISO 3166-1 alpha-2), null when the edge does not say. */
  country: string | null;
}

/** Longest stored dimension value: the longest a filter may ask for. */
export const MAX_DIMENSION_VALUE = 200;

/** Dimension values are shown and filtered by: no control or format characters, at most 200 characters. */
function dimensionText(v: string): string {
  return cleanText(v.replace(/[\p{Cc}\p{Cf}]/gu, '').trim(), MAX_DIMENSION_VALUE);
}

/** The host of a URL, lower-cased; null when it is not an http(s) URL. */
function hostOf(url: string | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.hostname.toLowerCase() || null : null;
  } catch {
    return null;
  }
}

const bare = (host: string) => host.replace(/^www\./, '');

/**
 * The dimensions docs/PROTOCOL.md defines, for the session `event` opens (its first page view): `source`
 * is utm_source, else the referrer's host without `www.`, else `(direct)`; a referrer on the page's
 * own site is no source; device, browser and OS come from the User-Agent, the country from the edge.
 */
export function sessionDimensions(event: WireEvent, path: string, request: RequestTraits): SessionDimensions {
  let params: URLSearchParams;
  try {
    params = new URL(event.url).searchParams;
  } catch {
    params = new URLSearchParams();
  }
  const utm = (name: string) => {
    const v = params.get(name);
    return v ? dimensionText(v) || null : null;
  };
  const pageHost = hostOf(event.url);
  let referrerHost = hostOf(event.referrer);
  if (referrerHost && pageHost && bare(referrerHost) === bare(pageHost)) referrerHost = null;
  const utmSource = utm('utm_source');
  const utmMedium = utm('utm_medium');
  const utmCampaign = utm('utm_campaign');
  const country = request.country && /^[A-Z]{2}$/.test(request.country) ? request.country : 'XX';
  return {
    channel: classifyChannel({ referrerHost, utmSource, utmMedium, utmCampaign, clickId: event.click_id ?? null }),
    source: utmSource ?? (referrerHost ? dimensionText(bare(referrerHost)) : '(direct)'),
    medium: utmMedium ?? '(none)',
    campaign: utmCampaign ?? '(none)',
    referrer: referrerHost ? dimensionText(referrerHost) : '(none)',
    // Cut where a character of the encoded path ends: never a partial `%XX` nor a part of a UTF-8 sequence's escapes.
    landing: dimensionText(cutEncoded(path, MAX_DIMENSION_VALUE)) || '/',
    ...userAgentFamilies(request.userAgent),
    country,
  };
}
