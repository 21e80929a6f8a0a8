// Keeps the host page safe: every entry point and handler runs inside a try/catch.

/** Wraps `f` so that nothing it throws ever reaches the host page. */
export const guard =
  <A extends unknown[], R>(f: (...a: A) => R) =>
  (...a: A): R | undefined => {
    try {
      return f(...a);
    } catch {}
  };

/** Listens to `type` on `target` (capture: a page's stopPropagation cannot hide it) with a guarded handler. */
export const on = (target: EventTarget, type: string, f: (e: any) => unknown): void =>
  target.addEventListener(type, guard(f), true);
