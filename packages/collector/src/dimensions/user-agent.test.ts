// User-Agent families: device class, browser and OS, and never an error for garbage, missing or huge User-Agents.
import { describe, expect, it } from 'vitest';
import { userAgentFamilies } from './user-agent.ts';

const UAS: Array<[string, string, ReturnType<typeof userAgentFamilies>]> = [
  [
    'Chrome on Windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    { device: 'desktop', browser: 'Chrome', os: 'Windows' },
  ],
  [
    'Edge on Windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
    { device: 'desktop', browser: 'Edge', os: 'Windows' },
  ],
  [
    'Safari on iPhone',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
    { device: 'mobile', browser: 'Safari', os: 'iOS' },
  ],
  [
    'Safari on iPad',
    'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
    { device: 'tablet', browser: 'Safari', os: 'iOS' },
  ],
  [
    'Samsung Internet',
    'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36',
    { device: 'mobile', browser: 'Samsung Internet', os: 'Android' },
  ],
  [
    'Safari on a Mac',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
    { device: 'desktop', browser: 'Safari', os: 'macOS' },
  ],
  [
    'Firefox on Linux',
    'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
    { device: 'desktop', browser: 'Firefox', os: 'Linux' },
  ],
  [
    'a TV',
    'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36',
    { device: 'other', browser: 'Samsung Internet', os: 'Tizen' },
  ],
];

describe('userAgentFamilies', () => {
  for (const [name, ua, want] of UAS) it(`reads ${name}`, () => expect(userAgentFamilies(ua)).toEqual(want));

  it('answers other for a missing, garbage or 100 KB User-Agent, quickly and without throwing', () => {
    const other = { device: 'other', browser: 'other', os: 'other' };
    expect(userAgentFamilies('')).toEqual(other);
    expect(userAgentFamilies(undefined)).toEqual(other);
    expect(userAgentFamilies('\u0000\uffff###')).toEqual(other);
    expect(userAgentFamilies('curl/8.5.0')).toEqual(other);
    const t = performance.now();
    expect(userAgentFamilies('Mozilla/5.0 '.repeat(9000)).device).toBe('other');
    expect(performance.now() - t).toBeLessThan(200);
  });
});
