// The script-tag entry: reads its own <script data-…> attributes, starts, replays the stub's queue, replaces window.parcours.
import { guard } from './guard.ts';
import type { Options } from './options.ts';
import { start } from './start.ts';
import { run } from './tracker.ts';

guard(() => {
  const page = window as any;
  // Read while the script runs: later, currentScript is another script or null.
  // (Null in a module or a callback: the guard takes the throw, the tag does nothing.)
  const script = document.currentScript as HTMLScriptElement;
  const attributes = script.dataset;
  if (!attributes.site || page.parcours?.l) return;
  // dataset names are the camelCased attributes: exactly init()'s options. The endpoint defaults to the script's origin.
  start(attributes as unknown as Options, new URL(script.src).origin, () => {
    for (const call of page.parcours?.q || []) run(...(call as [string]));
    // run is window.parcours('name', …) itself; l: loaded, a second copy of the tag does nothing.
    (page.parcours = run as any).l = 1;
  });
})();
