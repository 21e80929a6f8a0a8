// The only code that talks to the network: fetch with keepalive, or sendBeacon when the page is going away; a JSON read.

/** A send's outcome: the collector's response, or status 0 for a network error. */
export type Reply = Pick<Response, 'status'> & { headers?: Headers };

/** Bytes of this page's keepalive request bodies still in flight: a page may have 64 KiB of them, beacons included. */
export let keepaliveBytes = 0;

/**
 * POSTs `body` with `keepalive`, so a request started just before the page goes away still
 * completes. A string body goes as `text/plain;charset=UTF-8`: a "simple" request, so no CORS
 * preflight. Resolves once the reply has arrived whole. Never rejects. No timeout of its own: a request that hangs is ended by the browser's
 * network timeouts; meanwhile this tab holds the send lock and other tabs' sends wait (nothing is lost).
 */
export const post = (url: string, body: string): Promise<Reply> => {
  const bytes = new Blob([body]).size;
  keepaliveBytes += bytes;
  return (
    fetch(url, { method: 'POST', body, keepalive: true })
      // The reply is read to its end: until then Chromium counts the request's body against the page's 64 KiB of
      // keepalive data in flight, and the next large batch is refused ("Failed to fetch") while nothing is wrong.
      .then((reply) => reply.text().then(() => reply))
      .catch(() => ({ status: 0 }))
      .finally(() => (keepaliveBytes -= bytes))
  );
};

/**
 * Queues `body` with `navigator.sendBeacon` (a string goes as text/plain): the browser delivers it even after the tab closes.
 * Callers run inside the page listeners' guard, so a throwing sendBeacon (bad URL) reaches no page code.
 */
export const beacon = (url: string, body: string): boolean => navigator.sendBeacon(url, body);

/** GETs `url` as JSON (survey: the site's surveys, cached by the browser). Rejects on any failure. */
export const getJson = (url: string): Promise<any> => fetch(url).then((reply) => reply.json());
