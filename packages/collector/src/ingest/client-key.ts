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

/** The 8 groups of an IPv6 address as numbers, or null when it is not one (an IPv4-mapped tail counts as two groups). */
function ipv6Groups(address: string): number[] | null {
  let s = address.toLowerCase().replace(/%.*$/, ''); // a zone id (fe80::1%eth0) names the interface, not the host
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    const b = v4.slice(1).map(Number);
    if (b.some((x) => x > 255)) return null;
    s = `${s.slice(0, v4.index)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parts = halves.map((h) => (h ? h.split(':') : []));
  const given = parts.reduce((n, p) => n + p.length, 0);
  if (halves.length === 1 ? given !== 8 : given > 7) return null;
  const groups = [...parts[0]!, ...Array<string>(8 - given).fill('0'), ...(parts[1] ?? [])];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => parseInt(g, 16));
}

/**
 * Who a rate limit counts: an IPv4 address as it is; an IPv6 address by its /64 prefix, the
 * network one subscriber or host gets (one machine can use any of its 2^64 addresses, so keying
 * on the full address would let it dodge any limit); an IPv4-mapped IPv6 address as its IPv4.
 * Anything else (absent, unparsable) as given.
 */
export function rateLimitSubject(address: string): string {
  if (!address.includes(':')) return address;
  const g = ipv6Groups(address);
  if (!g) return address;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff)
    return [g[6]! >> 8, g[6]! & 255, g[7]! >> 8, g[7]! & 255].join('.');
  return `${g
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(':')}::/64`;
}

/** Rate-limiter key of a (scope, client) pair, scope a site id or a route family: a hash, so the limiter never sees the address either. */
export function rateLimitKey(scope: string, address: string): Promise<string> {
  return hashParts('rate', scope, rateLimitSubject(address));
}

/**
 * A cookieless visitor id: hash of the day's secret salt, the site, the address and the User-Agent.
 * The same browser gets the same id all day on one site, a different one on another site or day,
 * and once the salt is deleted nobody can recompute it.
 */
export async function cookielessVisitor(
  salt: string,
  site: string,
  address: string,
  userAgent: string,
): Promise<string> {
  return `c-${(await hashParts('visitor', salt, site, address, userAgent)).slice(0, 32)}`;
}
