// Channel classification, table by table: GA4's default channel rules on docs/PROTOCOL.md's channels, with the referrer list.
import { describe, expect, it } from 'vitest';
import { CLICK_ID_PARAMS, type Channel } from '@parcours/protocol';
import { classifyChannel, hostKind, type Traffic } from './channel.ts';

const none: Traffic = { referrerHost: null, utmSource: null, utmMedium: null, utmCampaign: null, clickId: null };

const CASES: Array<[string, Partial<Traffic>, Channel]> = [
  ['no referrer and no utm', {}, 'direct'],
  ['a search engine', { referrerHost: 'www.google.com' }, 'organic_search'],
  ['a national search engine', { referrerHost: 'www.google.fr' }, 'organic_search'],
  ['Bing', { referrerHost: 'www.bing.com' }, 'organic_search'],
  ['DuckDuckGo', { referrerHost: 'duckduckgo.com' }, 'organic_search'],
  ['Ecosia', { referrerHost: 'www.ecosia.org' }, 'organic_search'],
  ['Yandex', { referrerHost: 'yandex.ru' }, 'organic_search'],
  ['Facebook', { referrerHost: 'l.facebook.com' }, 'organic_social'],
  ['Twitter short links', { referrerHost: 't.co' }, 'organic_social'],
  ['Reddit', { referrerHost: 'old.reddit.com' }, 'organic_social'],
  ['LinkedIn', { referrerHost: 'www.linkedin.com' }, 'organic_social'],
  ['Hacker News', { referrerHost: 'news.ycombinator.com' }, 'organic_social'],
  ['YouTube (GA4 video: social here)', { referrerHost: 'www.youtube.com' }, 'organic_social'],
  ['TikTok', { referrerHost: 'www.tiktok.com' }, 'organic_social'],
  ['Pinterest in any country', { referrerHost: 'www.pinterest.fr' }, 'organic_social'],
  ['a webmail', { referrerHost: 'mail.google.com' }, 'email'],
  ['an ad server', { referrerHost: 'googleads.g.doubleclick.net' }, 'display'],
  ['any other site', { referrerHost: 'blog.example.org' }, 'referral'],
  ['utm_medium=cpc from google', { utmSource: 'google', utmMedium: 'cpc' }, 'paid_search'],
  ['utm_medium=ppc from bing', { utmSource: 'bing', utmMedium: 'ppc' }, 'paid_search'],
  ['utm_medium=paid_social from facebook', { utmSource: 'facebook', utmMedium: 'paid_social' }, 'paid_social'],
  ['utm_medium=cpc from an unknown source (GA4 Paid Other)', { utmSource: 'partner', utmMedium: 'cpc' }, 'other'],
  ['utm_medium=display', { utmSource: 'network', utmMedium: 'display' }, 'display'],
  ['utm_medium=banner', { utmSource: 'network', utmMedium: 'banner' }, 'display'],
  ['utm_medium=social', { utmSource: 'partner', utmMedium: 'social' }, 'organic_social'],
  ['utm_source=twitter without medium', { utmSource: 'twitter' }, 'organic_social'],
  ['utm_medium=organic', { utmSource: 'partner', utmMedium: 'organic' }, 'organic_search'],
  ['utm_medium=email', { utmSource: 'newsletter', utmMedium: 'email' }, 'email'],
  ['utm_source=newsletter without medium', { utmSource: 'newsletter' }, 'email'],
  ['utm_medium=E-Mail, any case', { utmSource: 'crm', utmMedium: 'E-Mail' }, 'email'],
  ['utm_medium=affiliate', { utmSource: 'partner', utmMedium: 'affiliate' }, 'affiliate'],
  ['utm_medium=referral', { utmSource: 'partner', utmMedium: 'referral' }, 'referral'],
  ['utm_medium=sms (no channel of ours)', { utmSource: 'crm', utmMedium: 'sms' }, 'other'],
  ['utm_source alone, unknown', { utmSource: 'partner' }, 'other'],
  [
    'utm tags win over the referrer',
    { referrerHost: 'www.google.com', utmSource: 'newsletter', utmMedium: 'email' },
    'email',
  ],
  ['a click id from Google Ads', { clickId: 'gclid' }, 'paid_search'],
  ['a click id on a search referral', { referrerHost: 'www.google.com', clickId: 'gbraid' }, 'paid_search'],
  ['a Microsoft Ads click id', { referrerHost: 'www.bing.com', clickId: 'msclkid' }, 'paid_search'],
  ['a Meta click id on a social referral', { referrerHost: 'l.facebook.com', clickId: 'fbclid' }, 'paid_social'],
  ['a TikTok click id', { clickId: 'ttclid' }, 'paid_social'],
  ['a LinkedIn click id', { clickId: 'li_fat_id' }, 'paid_social'],
];

describe('classifyChannel', () => {
  for (const [name, traffic, channel] of CASES) {
    it(`${name}: ${channel}`, () => {
      expect(classifyChannel({ ...none, ...traffic })).toBe(channel);
    });
  }

  it('makes every click id paid, search or social as docs/PROTOCOL.md lists', () => {
    expect(CLICK_ID_PARAMS.map((clickId) => classifyChannel({ ...none, clickId }))).toEqual([
      'paid_search',
      'paid_search',
      'paid_search',
      'paid_search',
      'paid_social',
      'paid_social',
      'paid_social',
    ]);
  });

  it('classifies hosts from the list, not a handful of patterns', () => {
    const search = [
      'www.google.de',
      'search.yahoo.co.jp',
      'www.baidu.com',
      'search.brave.com',
      'www.qwant.com',
      'search.seznam.cz',
      'search.naver.com',
    ];
    expect(search.map(hostKind)).toEqual(search.map(() => 'search'));
    expect(hostKind('example.invalid')).toBe('unknown');
  });
});
