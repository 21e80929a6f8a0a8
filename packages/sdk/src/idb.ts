// The outbox's IndexedDB access, through idb-keyval: its own database `parcours` with one store `outbox`.
import { createStore, promisifyRequest } from 'idb-keyval';

// idb-keyval's custom store: opens the database once (again if the browser closed it), no default store bundled.
const use = createStore('parcours', 'outbox');

/**
 * Runs `f` on the store in a transaction of `mode`; resolves with its request's result once the
 * transaction completed (a write is durable then), or `undefined` when IndexedDB is missing, refused
 * or full: it never rejects, so the outbox's memory copy does the work then.
 */
export const tx = <T = void>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T> | void): Promise<T | undefined> =>
  // In a promise executor: without IndexedDB, idb-keyval throws synchronously.
  new Promise<T | undefined>((ok) =>
    ok(
      use(mode, (s) => {
        const r = f(s);
        return promisifyRequest(s.transaction).then(() => (r as IDBRequest<T> | undefined)?.result);
      }),
    ),
  ).catch(() => undefined);
