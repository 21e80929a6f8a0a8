// The outbox's IndexedDB access, through idb-keyval: its own database `parcours` with one store `outbox`.
import { createStore } from 'idb-keyval';

/** Longest an open plus one transaction may take, ms; past it the transaction is abandoned and memory does the work. */
export const TX_DEADLINE = 3000;

// idb-keyval's custom store: opens the database on first use (again after Safari closes it), no default store bundled.
// After any failure a new one is made, so the next use opens the database anew.
const open = () => createStore('parcours', 'outbox');
let use = open();
// Set while the page is hidden for good (pagehide): a page frozen in the back/forward cache must hold no transaction.
let paused: unknown;
// Transactions under way: aborted when the page is hidden (see `pause`).
const running = new Set<IDBTransaction>();

/**
 * Runs `f` on the store (it answers its request, or an array of them) in a readwrite transaction; resolves
 * with its request's result once the transaction completed (a write is durable then), or `undefined` when
 * IndexedDB is missing, refused, full, lost, paused, or past TX_DEADLINE: it never rejects nor hangs, so the
 * outbox's memory copy does the work then. After a failure the connection is opened anew on next use: WebKit
 * loses it after backgrounding ("Connection to Indexed Database server lost") and may never say so.
 * The one read is readwrite too: it is the sending tab's (one at a time under the Web Lock) and every other
 * transaction writes, so a readonly one would gain next to nothing.
 */
export const tx = <T = void>(f: (s: IDBObjectStore) => IDBRequest<T> | IDBRequest[]): Promise<T | undefined> => {
  let t: IDBTransaction | undefined;
  // Settled (done, failed or past its deadline): a database that opens later must not run `f` any more.
  let settled = false;
  return new Promise<T>((ok, fail) => {
    setTimeout(fail, TX_DEADLINE);
    use('readwrite', (store) => {
      // Checked once the database is open: the page may have been hidden, or the deadline passed, meanwhile.
      // (The empty transaction ends by itself.)
      if (paused || settled) throw 0;
      running.add((t = store.transaction));
      const r = f(store);
      // Several requests (an array) answer nothing: their result is undefined.
      t.oncomplete = () => ok((r as IDBRequest<T>).result);
      t.onerror = t.onabort = fail;
    }).catch(fail);
  })
    .catch(() => {
      abort(t);
      use = open();
    })
    .finally(() => {
      settled = true;
      running.delete(t!);
    }) as Promise<T | undefined>;
};

// Aborting a transaction that already finished throws: there is nothing to undo then.
const abort = (t?: IDBTransaction) => {
  try {
    t?.abort();
  } catch {}
};

/**
 * The page is hidden for good (`true`, on pagehide) or shown again (`false`, restored from the back/forward cache).
 * Hidden, the transactions under way are aborted and no new one starts: WebKit freezes a cached page's unfinished
 * transaction, and every later transaction on the store, from any page of the site, waits behind it. What the
 * page queues meanwhile stays in memory, and its localStorage copy (outbox `save`) carries it to the next page.
 */
export function pause(hidden: boolean): void {
  paused = hidden;
  if (hidden) running.forEach(abort);
}
