// Where a webhook may point: checked at registration and again before every delivery (SSRF guard).
// Workers cannot resolve a name to see its addresses; Cloudflare's own fetch refuses private destinations in
// production, and these checks refuse every address and name that is private on its face.

/** Longest webhook URL accepted. */
const MAX_URL_LENGTH = 2048;

/** Host names that are local by definition (RFC 6761, RFC 6762, and common internal suffixes). */
const LOCAL_NAME = /(?:^|\.)(?:localhost|local|internal|intranet|lan|home\.arpa|localdomain)\.?$/i;

function ipv4Bytes(host: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const b = m.slice(1).map(Number);
  return b.every((n) => n <= 255) ? b : null;
}

/** Whether an IPv4 address is anything but a public unicast address. */
function privateIpv4([a, b, c]: number[]): boolean {
  return (
    a === 0 || // this network
    a === 10 ||
    a === 127 || // loopback
    (a === 100 && b! >= 64 && b! <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local (cloud metadata endpoints)
    (a === 172 && b! >= 16 && b! <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) || // IETF protocol assignments, documentation
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    (a === 198 && b === 51 && c === 100) || // documentation
    (a === 203 && b === 0 && c === 113) || // documentation
    a! >= 224 // multicast, reserved, broadcast
  );
}

/** The 8 groups of an IPv6 literal (as the URL parser writes it: compressed, lower-case, no brackets). */
function ipv6Groups(host: string): number[] | null {
  if (!host.includes(':')) return null;
  const [head, tail] = host.split('::') as [string, string | undefined];
  const parse = (s: string | undefined) => (s ? s.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const h = parse(head);
  const t = parse(tail);
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill(0), ...t];
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : null;
}

function privateIpv6(g: number[]): boolean {
  if (g.slice(0, 7).every((x) => x === 0) && g[7]! <= 1) return true; // :: and ::1
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible: judge the IPv4 address inside.
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0))
    return privateIpv4([g[6]! >> 8, g[6]! & 255, g[7]! >> 8, g[7]! & 255]);
  const first = g[0]!;
  return (
    (first & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (first & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (first & 0xff00) === 0xff00 || // multicast
    first === 0x64 || // NAT64 64:ff9b::/96 (reaches IPv4 space)
    (first === 0x2001 && g[1] === 0xdb8) || // documentation
    first === 0x2002 // 6to4: embeds an IPv4 address
  );
}

/** Whether a URL host (as `URL.hostname` gives it) is the local machine: what local development may post to. */
function isLoopback(host: string): boolean {
  const v4 = ipv4Bytes(host);
  if (v4) return v4[0] === 127;
  if (host === '[::1]') return true;
  return /(?:^|\.)localhost\.?$/i.test(host);
}

/** Why a webhook URL is refused (`400 invalid-webhook-url` says it in words: URL_REFUSALS). */
export type UrlRefusal = 'malformed' | 'scheme' | 'credentials' | 'private-address' | 'local-name' | 'too-long';

/** Each refusal as the reply's `message` says it. */
export const URL_REFUSALS: Record<UrlRefusal, string> = {
  malformed: 'url is not an absolute URL',
  scheme: 'url must be https:// (http:// only to the loopback address, in local development)',
  credentials: 'url must not carry a user name or password',
  'private-address': 'url must not point to a private, link-local or loopback address',
  'local-name': 'url must name a public host (not an intranet name or a local suffix such as .local or .internal)',
  'too-long': `url is longer than ${MAX_URL_LENGTH} characters`,
};

/**
 * Checks a webhook URL: `https://` to a public host, without user info; in local development (`localDev`) also
 * `http://` or `https://` to the loopback address (`127.0.0.1`, `[::1]`, `localhost`), never another private one.
 * Answers the URL as the parser normalised it (so `https://2130706433/` is judged as `127.0.0.1`), or the refusal.
 */
export function checkWebhookUrl(raw: unknown, localDev: boolean): { url: string } | { refused: UrlRefusal } {
  if (typeof raw !== 'string') return { refused: 'malformed' };
  if (raw.length > MAX_URL_LENGTH) return { refused: 'too-long' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { refused: 'malformed' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { refused: 'scheme' };
  if (url.username || url.password) return { refused: 'credentials' };
  const host = url.hostname.toLowerCase();
  if (localDev && isLoopback(host)) return { url: url.href };
  if (url.protocol !== 'https:') return { refused: 'scheme' };
  const v4 = ipv4Bytes(host);
  const v6 = host.startsWith('[') ? ipv6Groups(host.slice(1, -1)) : null;
  if ((v4 && privateIpv4(v4)) || (host.startsWith('[') && (!v6 || privateIpv6(v6))))
    return { refused: 'private-address' };
  // A name without a dot is an intranet name (or a bare TLD); local suffixes never leave the building.
  if (!v4 && !v6 && (!host.replace(/\.$/, '').includes('.') || LOCAL_NAME.test(host))) return { refused: 'local-name' };
  return { url: url.href };
}
