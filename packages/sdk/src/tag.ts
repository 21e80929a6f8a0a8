// The script-tag entry: reads its own <script data-…> attributes, starts, replays the stub's queue, replaces window.parcours.
import { guard } from './guard.ts';
import type { Options } from './index.ts';
import { start } from './start.ts';
import { run } from './tracker.ts';

guard(() => {
  const w = window as any;
  // Read while the script runs: later, currentScript is another script or null.
  // (Null in a module or a callback: the guard takes the throw, the tag does nothing.)
  const s = document.currentScript as HTMLScriptElement;
  const d = s.dataset;
  if (!d.site || w.parcours?.l) return;
  // dataset names are the camelCased attributes: exactly init()'s options. The endpoint defaults to the script's origin.
  start(d as unknown as Options, new URL(s.src).origin, () => {
    for (const a of w.parcours?.q || []) run(...(a as [string]));
    // run is window.parcours('name', …) itself; l: loaded, a second copy of the tag does nothing.
    (w.parcours = run as any).l = 1;
  });
})();
