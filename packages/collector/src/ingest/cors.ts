// CORS for ingestion: an origin is allowed when the site lists it (or "*"); allowed origins get their own origin back.

/** Seconds a browser may cache a preflight answer. */
const PREFLIGHT_MAX_AGE = 86_400;

/** Whether a page on `origin` may send this site's events. */
export function originAllowed(origins: readonly string[], origin: string): boolean {
  return origins.includes('*') || origins.includes(origin);
}

/** Headers that let a page on `origin` read the reply (and its Retry-After). */
export function replyCorsHeaders(origin: string): Record<string, string> {
  return { 'access-control-allow-origin': origin, 'access-control-expose-headers': 'retry-after', vary: 'Origin' };
}

/** Headers of a positive preflight answer for `origin`. */
export function preflightHeaders(origin: string): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'POST',
    'access-control-allow-headers': 'content-type',
    'access-control-max-age': String(PREFLIGHT_MAX_AGE),
    vary: 'Origin',
  };
}
