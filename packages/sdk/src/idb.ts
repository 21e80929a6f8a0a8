// The outbox's IndexedDB access, through idb-keyval: its own database `parcours` with one store `outbox`.
import { createStore, promisifyRequest } from 'idb-keyval';

// idb-keyval's custom store: opens the database once (again if the browser closed it), no default store bundled.
const use = createStore('parcours', 'outbox');

/**
 * Runs `f` on the store (it answers its request, or an array of them) in a readwrite transaction; resolves
 * with its request's result once the transaction completed (a write is durable then), or `undefined` when
 * IndexedDB is missing, refused or full: it never rejects, so the outbox's memory copy does the work then.
 * The one read is readwrite too: it is the sending tab's (one at a time under the Web Lock) and every other
 * transaction writes, so a readonly one would gain next to nothing.
 */
export const tx = async <T = void>(f: (s: IDBObjectStore) => IDBRequest<T> | IDBRequest[]): Promise<T | undefined> => {
  // An async function: without IndexedDB, idb-keyval throws synchronously, and the catch takes that too.
  try {
    return await use('readwrite', async (s) => {
      const r = f(s);
      await promisifyRequest(s.transaction);
      // Several requests (an array) answer nothing: their result is undefined.
      return (r as IDBRequest<T>).result;
    });
  } catch {}
};
