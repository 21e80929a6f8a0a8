// Senders refused 429 lately (past a quota, or rate-limited), remembered by this isolate for a minute: their next large
// bodies are refused before being read, so a flood that ignores Retry-After costs a lookup per request, not the reading
// and parsing of up to 1 MB. Memory only, keyed by a hash of the client (an IPv6 client by its /64), never stored.
import { fail } from '../errors.ts';
import { rateLimitKey } from './client-key.ts';

/** How long a refusal is remembered at most: after that a body is read again, and the site's quotas decide. */
const REMEMBER_MS = 60_000;
/** Clients remembered at most; the oldest refusal is forgotten first. */
const MAX_REMEMBERED = 10_000;
/**
 * Bodies up to this size are always read: a tag's batch is a few kilobytes, so an honest page sharing an address
 * with a flooding sender (a NAT, an office) still reaches its own site; only bodies of a flood's size are refused unread.
 */
export const ALWAYS_READ_BYTES = 64 * 1024;

type Code = 'rate-limited' | 'quota-exceeded';
const refused = new Map<string, { code: Code; retryAt: number; until: number }>();

const clientKey = (address: string) => rateLimitKey('ingest-refused', address);

/** Remembers that this client was just refused `code` with `Retry-After: retryAfter` seconds. */
export async function rememberRefusal(address: string, code: Code, retryAfter: number, now: number): Promise<void> {
  const key = await clientKey(address);
  refused.delete(key);
  if (refused.size >= MAX_REMEMBERED) refused.delete(refused.keys().next().value!);
  refused.set(key, { code, retryAt: now + retryAfter * 1000, until: now + Math.min(REMEMBER_MS, retryAfter * 1000) });
}

/**
 * Refuses the request before its body is read (the same code, Retry-After the seconds still to wait) when its client was
 * refused 429 within the last minute and the body is larger than ALWAYS_READ_BYTES (or of unknown length).
 */
export async function refuseRemembered(address: string, contentLength: string | null, now: number): Promise<void> {
  if (!refused.size) return;
  const length = contentLength === null ? Number.POSITIVE_INFINITY : Number(contentLength);
  if (length <= ALWAYS_READ_BYTES) return;
  const key = await clientKey(address);
  const last = refused.get(key);
  if (!last) return;
  if (last.until <= now) {
    refused.delete(key);
    return;
  }
  fail(429, last.code, { 'retry-after': String(Math.max(1, Math.ceil((last.retryAt - now) / 1000))) });
}
