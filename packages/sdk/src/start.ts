// Wires the parts together for one page: config, sender, page lifecycle, and the features this variant carries (forms,
// carts with the dataLayer bridge, friction).
import { watchCartButtons } from './cart-tracking.ts';
import { bridgeDataLayer } from './datalayer.ts';
import { watchForms } from './form-tracking.ts';
import { watchFriction } from './friction.ts';
import { watchPage } from './lifecycle.ts';
import { configure, type Options } from './options.ts';
import { restore } from './outbox.ts';
import { watchSurveys } from './surveys.ts';
import { emit, run, setPage } from './tracker.ts';

/**
 * Starts tracking this page with `options` (`origin`: the default endpoint); `replay` runs calls queued before, ahead of
 * the first page view. Sends what earlier pages left in the outbox.
 */
export function start(options: Options, origin: string, replay: () => void): void {
  const config = configure(options, origin);
  const abandonForms = FEATURE_FORMS && config.forms != 'off' ? watchForms(emit) : () => {};
  // Before the page lifecycle: friction's popstate listener must see the route being left.
  const cameBack = FEATURE_FRICTION ? watchFriction(emit, config.spa != 'off') : () => {};
  setPage(watchPage(config.spa != 'off', abandonForms));
  if (FEATURE_CARTS) {
    watchCartButtons(run);
    if (config.datalayer == 'on') bridgeDataLayer(run);
  }
  // Before the first page view, which may make a survey due.
  if (FEATURE_SURVEY) watchSurveys(config.endpoint, config.site, emit);
  replay();
  // A quick back of the page left for this one, before this page's view replaces it.
  cameBack();
  run('page');
  restore();
}
