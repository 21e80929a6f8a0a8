// The outbox's IndexedDB access: one database `parcours` with one store `outbox`, opened once (idb-keyval's approach, only what the outbox needs).

const done = <T>(r: IDBRequest<T> | IDBTransaction): Promise<T> =>
  new Promise((ok, no) => {
    (r as IDBRequest).onsuccess = (r as IDBTransaction).oncomplete = () => ok((r as IDBRequest<T>).result);
    r.onerror = (r as IDBTransaction).onabort = () => no(r.error);
  });

let db: Promise<IDBDatabase> | undefined;

/**
 * Runs `f` on the store in a transaction of `mode`; resolves with its request's result once the
 * transaction completed (a write is durable then). Rejects when IndexedDB is missing, refused or full.
 */
export function tx<T = void>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T> | void): Promise<T> {
  db ||= done(Object.assign(indexedDB.open('parcours'), { onupgradeneeded: (e: any) => e.target.result.createObjectStore('outbox') }));
  return db.then((d) => {
    const t = d.transaction('outbox', mode);
    const r = f(t.objectStore('outbox'));
    return done(t).then(() => (r ? r.result : (1 as T)));
  });
}
