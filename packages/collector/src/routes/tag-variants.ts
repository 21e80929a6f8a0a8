// The tag asked by a name that is not a built file: features in another order or repeated (`/parcours.carts.forms.js`)
// redirect to the variant that has them; any other `parcours.*.js` is a 404 that says which names exist.
import { TAG_FEATURES, variantFile } from '@parcours/protocol';
import type { Context } from 'hono';
import { failWithMessage } from '../errors.ts';

/** The path pattern of a tag variant's file, as Hono's router reads it. */
export const TAG_FILE = '/:file{parcours\\.[a-z]+(?:\\.[a-z]+)*\\.js}';

/** Every built variant is a static asset, served before the Worker runs: a request that reaches here named none. */
export function tagVariant(c: Context): Response {
  const file = c.req.param('file')!;
  const named = file.slice('parcours.'.length, -'.js'.length).split('.');
  const features: readonly string[] = TAG_FEATURES;
  const canonical = variantFile(named);
  if (canonical !== file && named.every((n) => n === 'core' || features.includes(n))) {
    // Permanent and cacheable: the same names always mean the same features. Scripts follow redirects.
    c.header('cache-control', 'public, max-age=86400');
    return c.redirect(new URL(canonical, c.req.url).href, 301);
  }
  failWithMessage(
    404,
    'not-found',
    `no tag named ${file}: a variant names what it adds to the core among ${TAG_FEATURES.join(', ')} (parcours.core.js has none, parcours.js all)`,
  );
}
