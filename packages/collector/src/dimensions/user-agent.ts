// Device class, browser and OS families from a User-Agent, read with bowser (MIT); the User-Agent itself is never stored.
import Bowser from 'bowser';
import { DEVICES, type Device } from '@parcours/protocol';

/** What the dimensions keep of a User-Agent. */
export interface UserAgentFamilies {
  device: Device;
  browser: string;
  os: string;
}

/** Longer User-Agents are cut before parsing: real ones stay far below, and a 100 KB one must not cost the regexes. */
const MAX_USER_AGENT = 512;

const UNKNOWN: UserAgentFamilies = { device: 'other', browser: 'other', os: 'other' };

/** bowser's names where docs/PROTOCOL.md names the family more briefly. */
const BROWSER_NAMES: Record<string, string> = {
  'Microsoft Edge': 'Edge',
  'Samsung Internet for Android': 'Samsung Internet',
  'Internet Explorer': 'IE',
};

/**
 * The device class (`desktop`, `mobile`, `tablet`, else `other`: TVs, consoles, bots, unknown),
 * browser and OS family names; `other` for anything unreadable, never an error.
 */
export function userAgentFamilies(userAgent: string | null | undefined): UserAgentFamilies {
  const ua = (userAgent ?? '').slice(0, MAX_USER_AGENT).trim();
  if (!ua) return UNKNOWN;
  try {
    const r = Bowser.parse(ua);
    const type = r.platform.type;
    const browser = r.browser.name ? (BROWSER_NAMES[r.browser.name] ?? r.browser.name) : 'other';
    return {
      device: DEVICES.includes(type as Device) ? (type as Device) : 'other',
      browser,
      os: r.os.name || 'other',
    };
  } catch {
    return UNKNOWN;
  }
}
