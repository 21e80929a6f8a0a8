// The only code that talks to the network: fetch with keepalive, or sendBeacon when the page is going away.

/** A send's outcome: HTTP status (0 for a network error) and `Retry-After`. */
export interface Reply {
  status: number;
  retryAfter?: string | null;
}

export type Post = (url: string, body: string) => Promise<Reply>;
export type Beacon = (url: string, body: string) => boolean;

/** How long a request may hang before it counts as a network error (and frees the flush lock). */
const TIMEOUT = 15_000;

/**
 * POSTs `body` as `text/plain` (a "simple" request: no CORS preflight) with `keepalive`, so a
 * request started just before the page goes away still completes. Never rejects.
 */
export const post: Post = (url, body) =>
  fetch(url, { method: 'POST', body, keepalive: true, signal: AbortSignal.timeout(TIMEOUT), headers: { 'Content-Type': 'text/plain' } }).then(
    (r) => ({ status: r.status, retryAfter: r.headers.get('Retry-After') }),
    () => ({ status: 0 }),
  );

/**
 * Queues `body` with `navigator.sendBeacon` (a string goes as text/plain): the browser delivers it even after the tab closes.
 * Callers run inside the page listeners' guard, so a throwing sendBeacon (bad URL) reaches no page code.
 */
export const beacon: Beacon = (url, body) => navigator.sendBeacon(url, body);
