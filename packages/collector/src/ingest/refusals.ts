// Senders refused lately, remembered by this isolate for a minute: 429 (past a quota, or rate-limited) per (site, client),
// 403 (an unknown site, or a site refusing the sender) per client, whatever the site, since a made-up site id costs
// nothing. Their next large bodies are held first (tarpit.ts), the rest unread; then a 429 of that site is answered
// again once the first kilobyte names it (the rest dropped as it comes, never kept nor parsed), and a 403 is judged
// again on the site's current row. A flood that ignores Retry-After so costs a lookup and a timer per request, not the
// parsing of up to 1 MB nor dozens of bodies received a second. Memory only, keyed by a hash of the site and the
// client (an IPv6 client by its /64, as the rate limiter counts), never stored.
import { fail } from '../errors.ts';
import { rateLimitKey } from './client-key.ts';
import { holdClient } from './tarpit.ts';

/** How long a refusal is remembered at most: after that a body is read again, and the site's quotas decide. */
const REMEMBER_MS = 60_000;
/** Refusals remembered at most; the oldest is forgotten first. */
const MAX_REMEMBERED = 10_000;
/**
 * Bodies up to this size are always read: a tag's batch is a few kilobytes, so an honest page sharing an address with
 * a flooding sender (a NAT, an office) is never refused for the flood's sake; only bodies of a flood's size are.
 */
export const ALWAYS_READ_BYTES = 64 * 1024;

type Code = 'rate-limited' | 'quota-exceeded' | 'forbidden';
/**
 * A refusal remembered: its code, its Retry-After (s), when that ends (ms), when it is forgotten (ms), and when the
 * first refusal of its run was (ms): renewals never carry it past REMEMBER_MS after that.
 */
const refused = new Map<string, { code: Code; retryAfter: number; retryAt: number; until: number; since: number }>();

/** The key of a 429 remembered for (site, client), or with no site, of a 403 remembered for the client. */
const refusalKey = (site: string | null, address: string) =>
  rateLimitKey(site === null ? 'forbidden' : `refused\u0000${site}`, address);

/** The site id a batch's start names (`"site":"…"`, which the tag writes first after `v`), if any. */
const SITE = /"site"\s*:\s*"([^"\\]{1,64})"/;

/**
 * Remembers that this client was just refused: `429 code` by `site`, with `Retry-After: retryAfter` seconds; or
 * `403 forbidden` (any site, `retryAfter` unused). `since`: the first refusal of a run this one renews.
 */
export async function rememberRefusal(
  site: string,
  address: string,
  code: Code,
  retryAfter: number,
  now: number,
  since = now,
): Promise<void> {
  const key = await refusalKey(code === 'forbidden' ? null : site, address);
  const wait = code === 'forbidden' ? REMEMBER_MS : retryAfter * 1000;
  refused.delete(key);
  if (refused.size >= MAX_REMEMBERED) refused.delete(refused.keys().next().value!);
  const until = Math.min(now + Math.min(REMEMBER_MS, wait), since + REMEMBER_MS);
  refused.set(key, { code, retryAfter, retryAt: now + wait, until, since });
}

/** The refusal remembered under `key` while it lasts (one past its time is forgotten). */
function remembered(key: string, now: number) {
  const last = refused.get(key);
  if (last && last.until <= now) refused.delete(key);
  return last && last.until > now ? last : undefined;
}

/**
 * The site a large body's start names: when the body is larger than ALWAYS_READ_BYTES (or of unknown length) and its
 * first kilobyte names a site; else undefined (the body is read and parsed as any other).
 */
export function largeBodySite(start: string, contentLength: string | null): string | undefined {
  return isLargeBody(contentLength) ? SITE.exec(start)?.[1] : undefined;
}

/** A body larger than ALWAYS_READ_BYTES by its Content-Length, or of unknown length (a tag always sends one). */
export function isLargeBody(contentLength: string | null): boolean {
  return (contentLength === null ? Number.POSITIVE_INFINITY : Number(contentLength)) > ALWAYS_READ_BYTES;
}

/**
 * For a large body naming `site` (`largeBodySite`), before the rest is read: when this client was refused 429 by that
 * site or 403 by any within the last minute, holds the answer (`holdClient`), then refuses the same 429 again
 * (Retry-After: rate-limited, its whole period again; past a quota, the seconds still to wait); after a 403 the
 * request goes on, to be judged on the site's current row.
 */
export async function refuseRemembered(site: string, address: string, now: number): Promise<void> {
  if (!refused.size) return;
  const last = remembered(await refusalKey(site, address), now) ?? remembered(await refusalKey(null, address), now);
  if (!last) return;
  await holdClient(await rateLimitKey('tarpit', address), now);
  if (last.code === 'forbidden') return;
  // Back before its Retry-After was over, so remembered again from this answer: a rate-limited client is told the
  // whole period again, so one that loops stays out and one that waits gets in; a quota's ends at the UTC midnight.
  // Never past a minute after the run's first refusal: senders sharing an address (a NAT, a /64), each waiting its own
  // Retry-After, would otherwise renew it for each other for ever; then a body is read and the limiter decides.
  const answeredAt = Date.now();
  const retryAfter =
    last.code === 'rate-limited' ? last.retryAfter : Math.max(1, Math.ceil((last.retryAt - answeredAt) / 1000));
  await rememberRefusal(site, address, last.code, retryAfter, answeredAt, last.since);
  fail(429, last.code, { 'retry-after': String(retryAfter) });
}
