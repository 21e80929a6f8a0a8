// Bearer tokens: admin token from the environment, per-site read tokens stored as SHA-256 hashes.
import { TABLE } from './db/schema.ts';
import { createMiddleware } from 'hono/factory';
import { fail } from './errors.ts';
import { getSite, type Site } from './db/sites.ts';

/** Hex SHA-256 of a string. */
export async function sha256Hex(s: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Compares two secrets without leaking where they differ (or, by hashing first, their length). */
export async function secretsEqual(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([sha256Hex(given), sha256Hex(expected)]);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** A new random token: 32 bytes, base64url. */
export function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/** A new id for a stored object: `prefix` and 16 random hex digits (`wh_3f9c…`, `al_…`). */
export function newId(prefix: string): string {
  return `${prefix}${[...crypto.getRandomValues(new Uint8Array(8))].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

/** Shortest admin token the admin API runs with: 32 characters (`openssl rand -base64 32` gives 44). */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

/**
 * The configured admin token, or null when the admin API is off: no token, or one shorter than
 * MIN_ADMIN_TOKEN_LENGTH, which a guesser could find. A short token is allowed only where the var
 * PARCOURS_LOCAL_DEV is "true": `wrangler dev` as scripts/collector-process.mjs starts it for
 * `pnpm dev` and the end-to-end tests (`dev-admin-token`); nothing deploys that var.
 */
function adminToken(env: Pick<Env, 'ADMIN_TOKEN' | 'PARCOURS_LOCAL_DEV'>): string | null {
  const token = env.ADMIN_TOKEN;
  if (!token) return null;
  return token.length >= MIN_ADMIN_TOKEN_LENGTH || env.PARCOURS_LOCAL_DEV === 'true' ? token : null;
}

/**
 * Admits requests bearing the admin token; `401 unauthorized` otherwise. With no usable token
 * configured (see adminToken), every admin call is `403 admin-disabled`, whatever it bears.
 */
export const requireAdmin = createMiddleware<{ Bindings: Env }>(async function requireAdmin(c, next) {
  const expected = adminToken(c.env);
  if (expected === null) fail(403, 'admin-disabled');
  const token = bearer(c.req.header('authorization'));
  if (!token || !(await secretsEqual(token, expected))) fail(401, 'unauthorized');
  await next();
});

/**
 * Admits requests bearing the read token of the `:site` in the path and sets `c.var.site`.
 * A missing or wrong token is `401`; a valid token of another site, or an unknown site, is `404`.
 */
export const requireReadToken = createMiddleware<{ Bindings: Env; Variables: { site: Site } }>(
  async function requireReadToken(c, next) {
    const token = bearer(c.req.header('authorization'));
    if (!token) fail(401, 'unauthorized');
    const hash = await sha256Hex(token);
    const site = await getSite(c.env.DB, c.req.param('site') ?? '');
    if (site && (await secretsEqual(hash, site.readTokenHash))) {
      c.set('site', site);
      return next();
    }
    // Whose token is it? Another site's valid token must not learn whether this site exists: 404 either way.
    const owner = await c.env.DB.prepare(`SELECT 1 FROM ${TABLE.sites} WHERE read_token_hash = ?`).bind(hash).first();
    fail(owner ? 404 : 401, owner ? 'not-found' : 'unauthorized');
  },
);
