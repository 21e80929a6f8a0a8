// Keeps the host page safe: every entry point and handler runs inside a try/catch.

/** Wraps `f` so that nothing it throws ever reaches the host page. */
export const guard =
  <A extends unknown[], R>(f: (...a: A) => R) =>
  (...a: A): R | undefined => {
    try {
      return f(...a);
    } catch {}
  };

/**
 * Listens to `types` (space-separated) on `window` in the capture phase with a guarded handler: every event of the page
 * passes there first (`visibilitychange` too, it bubbles), and a page's stopPropagation cannot hide it.
 */
export const on = (types: string, f: (e: any) => unknown): void => {
  const g = guard(f);
  for (const t of types.split(' ')) addEventListener(t, g, true);
};

/**
 * Replaces the page's methods `o[k]` (`keys` space-separated) by ones that run as before, then `f` (guarded) with
 * their `this` and arguments: for the calls that fire no event (`history.pushState`, `form.submit()`, `dataLayer.push`).
 */
export const after = (o: any, keys: string, f: (self: any, a: any[]) => unknown): void => {
  const g = guard(f);
  for (const k of keys.split(' ')) {
    const native = o[k];
    o[k] = function (this: unknown, ...a: unknown[]) {
      const r = native.apply(this, a);
      g(this, a);
      return r;
    };
  }
};
