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
