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
 * Listens to `type` on `window` in the capture phase with a guarded handler: every event of the page passes
 * there first (`visibilitychange` too, it bubbles), and a page's stopPropagation cannot hide it.
 */
export const on = (type: string, f: (e: any) => unknown): void => addEventListener(type, guard(f), true);

/**
 * Replaces the page's method `o[k]` by one that runs it as before, then `f` (guarded) with its `this` and arguments:
 * for the calls that fire no event (`history.pushState`, `form.submit()`, `dataLayer.push`).
 */
export const after = (o: any, k: string, f: (self: any, a: any[]) => unknown): void => {
  const native = o[k];
  const g = guard(f);
  o[k] = function (this: unknown, ...a: unknown[]) {
    const r = native.apply(this, a);
    g(this, a);
    return r;
  };
};
