// Keys derived from the client's address, which is used transiently and never stored.

/** Hex SHA-256 of the parts joined by a separator that cannot occur in a site id. */
async function hashParts(...parts: string[]): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(parts.join('\u0000')));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The client's address as Cloudflare reports it ('' when absent, e.g. in tests or behind no proxy). */
export function clientAddress(headers: Headers): string {
  return headers.get('cf-connecting-ip') ?? '';
}

/** Rate-limiter key of a (site, client) pair: a hash, so the limiter never sees the address either. */
export function rateLimitKey(site: string, address: string): Promise<string> {
  return hashParts('rate', site, address);
}

/**
 * A cookieless visitor id: hash of the day's secret salt, the site, the address and the User-Agent.
 * The same browser gets the same id all day on one site, a different one on another site or day,
 * and once the salt is deleted nobody can recompute it.
 */
export async function cookielessVisitor(salt: string, site: string, address: string, userAgent: string): Promise<string> {
  return `c-${(await hashParts('visitor', salt, site, address, userAgent)).slice(0, 32)}`;
}
