// Rate limits of the reports and admin APIs: Workers Rate Limiting bindings, keyed by a hash of (scope, client /64).
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { fail } from './errors.ts';
import { clientAddress, rateLimitKey } from './ingest/client-key.ts';

/**
 * A middleware counting each request against `limiter(env)` under (scope of the request, client);
 * past the limit, `429 rate-limited` with `Retry-After: retryAfterSeconds` (the binding's period).
 * It runs before authentication: a flood of bad tokens costs database reads too.
 */
function limitRequests(
  name: string,
  limiter: (env: Env) => RateLimit,
  scope: (c: Context<{ Bindings: Env }>) => string,
  retryAfterSeconds: number,
) {
  return createMiddleware<{ Bindings: Env }>(async function rateLimit(c, next) {
    const key = await rateLimitKey(`${name}\u0000${scope(c)}`, clientAddress(c.req.raw.headers));
    const { success } = await limiter(c.env).limit({ key });
    if (!success) fail(429, 'rate-limited', { 'retry-after': String(retryAfterSeconds) });
    await next();
  });
}

/** Reports: per (site in the path, client), 240 requests a minute (wrangler.jsonc `REPORTS_LIMITER`). */
export const limitReports = limitRequests(
  'reports',
  (env) => env.REPORTS_LIMITER,
  (c) => c.req.param('site') ?? '',
  60,
);

/** Admin: per client, 100 requests per 10 s (wrangler.jsonc `ADMIN_LIMITER`). */
export const limitAdmin = limitRequests(
  'admin',
  (env) => env.ADMIN_LIMITER,
  () => '',
  10,
);
