// Senders refused 429 lately (past a quota, or rate-limited), remembered by this isolate for a minute per (site, client):
// their next large bodies to that site are refused once the first kilobyte names it (the rest is dropped as it comes,
// never kept nor parsed), so a flood that ignores Retry-After costs a lookup per request, not the parsing of up to 1 MB. Memory only, keyed by
// a hash of the site and the client (an IPv6 client by its /64, as the rate limiter counts), never stored.
import { fail } from '../errors.ts';
import { rateLimitKey } from './client-key.ts';

/** How long a refusal is remembered at most: after that a body is read again, and the site's quotas decide. */
const REMEMBER_MS = 60_000;
/** Refusals remembered at most; the oldest is forgotten first. */
const MAX_REMEMBERED = 10_000;
/**
 * Bodies up to this size are always read: a tag's batch is a few kilobytes, so an honest page sharing an address with
 * a flooding sender (a NAT, an office) is never refused for the flood's sake; only bodies of a flood's size are.
 */
export const ALWAYS_READ_BYTES = 64 * 1024;

type Code = 'rate-limited' | 'quota-exceeded';
const refused = new Map<string, { code: Code; retryAt: number; until: number }>();

const refusalKey = (site: string, address: string) => rateLimitKey(`refused\u0000${site}`, address);

/** The site id a batch's start names (`"site":"…"`, which the tag writes first after `v`), if any. */
const SITE = /"site"\s*:\s*"([^"\\]{1,64})"/;

/** Remembers that this client was just refused `code` for `site`, with `Retry-After: retryAfter` seconds. */
export async function rememberRefusal(
  site: string,
  address: string,
  code: Code,
  retryAfter: number,
  now: number,
): Promise<void> {
  const key = await refusalKey(site, address);
  refused.delete(key);
  if (refused.size >= MAX_REMEMBERED) refused.delete(refused.keys().next().value!);
  refused.set(key, { code, retryAt: now + retryAfter * 1000, until: now + Math.min(REMEMBER_MS, retryAfter * 1000) });
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
 * Refuses the request (the same code, Retry-After the seconds still to wait) when `site`, named by a large body's
 * start (`largeBodySite`), refused this client 429 within the last minute. Called before the rest is read (and then
 * dropped).
 */
export async function refuseRemembered(site: string, address: string, now: number): Promise<void> {
  if (!refused.size) return;
  const key = await refusalKey(site, address);
  const last = refused.get(key);
  if (!last) return;
  if (last.until <= now) {
    refused.delete(key);
    return;
  }
  fail(429, last.code, { 'retry-after': String(Math.max(1, Math.ceil((last.retryAt - now) / 1000))) });
}
