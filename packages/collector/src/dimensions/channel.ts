// The channel a session came from, modelled on GA4's default channel grouping, from its referrer, utm_* and click id.
import { ReferrerParser } from '@tryghost/referrer-parser';
import { CLICK_ID_CHANNELS, type Channel, type ClickIdParam } from '@parcours/protocol';

/** What a referrer host or a utm_source is, by the referrer list. */
export type SourceKind = 'search' | 'social' | 'email' | 'paid' | 'unknown';

/**
 * Ghost's referrer list (@tryghost/referrer-parser, MIT: about 2,400 hosts, its search engines
 * taken from Snowplow's referer-parser, kept up to date with Ghost's releases) classifies hosts.
 * It lacks a few networks GA4 counts as social or video; those are added here.
 */
const EXTRA_SOCIAL =
  /(^|\.)(youtube\.com|youtu\.be|tiktok\.com|pinterest\.[a-z.]+|pin\.it|threads\.net|bsky\.app|mastodon\.social|quora\.com|vk\.com|twitch\.tv|vimeo\.com|snapchat\.com|whatsapp\.com|t\.me|discord\.com|tumblr\.com)$/;

const parser = new ReferrerParser({});

/** Per host (or source name): the list matches by scanning it, so answers are kept for the isolate's life, up to a bound. */
const memo = new Map<string, SourceKind>();
const MEMO_SIZE = 2000;

function remember(key: string, kind: SourceKind): SourceKind {
  if (memo.size >= MEMO_SIZE) memo.delete(memo.keys().next().value!);
  memo.set(key, kind);
  return kind;
}

function kindOf(medium: string | null | undefined): SourceKind {
  switch ((medium ?? '').toLowerCase()) {
    case 'search':
      return 'search';
    case 'social':
      return 'social';
    case 'email':
      return 'email';
    case 'paid':
      return 'paid';
    default:
      return 'unknown';
  }
}

/** What a referrer host is: a search engine, a social network, a webmail, an ad network, or unknown. */
export function hostKind(host: string): SourceKind {
  const key = `h:${host}`;
  const known = memo.get(key);
  if (known) return known;
  let kind: SourceKind = EXTRA_SOCIAL.test(host) ? 'social' : 'unknown';
  // The list holds hosts as the engines use them (`ecosia.org`, `l.facebook.com`): the host, then its parent domains.
  const labels = host.split('.');
  for (let i = 0; kind === 'unknown' && i <= labels.length - 2; i++) {
    try {
      kind = kindOf(parser.parse(`https://${labels.slice(i).join('.')}/`).referrerMedium);
    } catch {
      kind = 'unknown';
    }
  }
  return remember(key, kind);
}

/** What a utm_source names: a known source name (`google`, `Facebook`), else a host written as the source. */
function sourceKind(source: string): SourceKind {
  const name = source.toLowerCase();
  const key = `s:${name}`;
  const known = memo.get(key);
  if (known) return known;
  let kind: SourceKind = 'unknown';
  try {
    // With a source name and no URL the parser answers the medium of the list's entry of that name.
    kind = kindOf(parser.parse('', name).referrerMedium);
  } catch {
    kind = 'unknown';
  }
  // A host written as the source (`google.com`), or a bare name whose `.com` the list knows (`google`: the list's first
  // entry named Google is its support site, classified unknown).
  if (kind === 'unknown') kind = hostKind(name.includes('.') ? name.replace(/^www\./, '') : `${name}.com`);
  return remember(key, kind);
}

/** A session's traffic: the referrer's host (a same-site one already removed) and the landing page's utm_* and click id. */
export interface Traffic {
  referrerHost: string | null;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  clickId: ClickIdParam | null;
}

const PAID_MEDIUM = /^(.*cp.*|ppc|retargeting|paid.*)$/;
const SOCIAL_MEDIUMS = new Set(['social', 'social-network', 'social-media', 'sm', 'social network', 'social media']);
const EMAIL = new Set(['email', 'e-mail', 'e_mail', 'e mail', 'newsletter']);
const DISPLAY_MEDIUMS = new Set(['display', 'banner', 'expandable', 'interstitial', 'cpm']);

/**
 * The channel, GA4's default channel rules in their order, on the values docs/PROTOCOL.md lists: a click
 * id makes the session paid; with no utm_* and no referrer it is direct; the source (utm_source,
 * else the referrer's host) is matched against the referrer list, the medium (utm_medium, else
 * what the list says of the host) against GA4's patterns. GA4's shopping, video, audio, SMS and
 * push channels fold into the nearest of ours (video sites are social) or `other`.
 */
export function classifyChannel(t: Traffic): Channel {
  if (t.clickId) return CLICK_ID_CHANNELS[t.clickId];
  const medium = (t.utmMedium ?? '').toLowerCase();
  const source = t.utmSource ?? t.referrerHost;
  if (!source && !medium) return 'direct';
  const kind = t.utmSource ? sourceKind(t.utmSource) : t.referrerHost ? hostKind(t.referrerHost) : 'unknown';
  if (PAID_MEDIUM.test(medium)) {
    if (kind === 'search') return 'paid_search';
    if (kind === 'social') return 'paid_social';
    return 'other';
  }
  if (DISPLAY_MEDIUMS.has(medium) || (!medium && kind === 'paid')) return 'display';
  if (kind === 'social' || SOCIAL_MEDIUMS.has(medium) || medium.includes('video')) return 'organic_social';
  if (kind === 'search' || medium === 'organic') return 'organic_search';
  if (EMAIL.has(medium) || EMAIL.has((t.utmSource ?? '').toLowerCase()) || (!medium && kind === 'email'))
    return 'email';
  if (medium === 'affiliate') return 'affiliate';
  if (medium === 'referral' || medium === 'app' || medium === 'link' || (!medium && t.referrerHost)) return 'referral';
  return 'other';
}
