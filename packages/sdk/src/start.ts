// Wires the parts together for one page: config, sender, page lifecycle, and the features this variant carries (forms,
// carts with the dataLayer bridge).
// The imports' order sets the modules' order in the tag; this one compresses best (scripts/size.mjs), by a few bytes.
import { configure } from './options.ts';
import { watchCartButtons } from './cart-tracking.ts';
import { watchPage } from './lifecycle.ts';
import { emit, run, setConfig } from './tracker.ts';
import type { Options } from './index.ts';
import { bridgeDataLayer } from './datalayer.ts';
import { watchForms } from './form-tracking.ts';
import { restore } from './outbox.ts';
import { target } from './sender.ts';

/**
 * Starts tracking this page with `options` (`origin`: the default endpoint); `replay` runs calls queued before, ahead of
 * the first page view. Sends what earlier pages left in the outbox.
 */
export function start(options: Options, origin: string, replay: () => void): void {
  const config = configure(options, origin);
  const abandonForms = FEATURE_FORMS && config.forms != 'off' ? watchForms(emit) : () => {};
  target(config.endpoint + '/v1/events', config.site);
  setConfig(config, watchPage(config.spa != 'off', abandonForms));
  if (FEATURE_CARTS) {
    watchCartButtons(run);
    if (config.datalayer == 'on') bridgeDataLayer(run);
  }
  replay();
  run('page');
  restore();
}
