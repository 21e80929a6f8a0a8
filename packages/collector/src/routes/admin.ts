// The admin API: register sites, rotate read tokens.
import { Hono } from 'hono';
import { isStageList } from '@parcours/protocol';
import { newToken, requireAdmin, sha256Hex } from '../auth.ts';
import { insertSite, setReadTokenHash } from '../db/sites.ts';
import { fail } from '../errors.ts';

export const admin = new Hono<{ Bindings: Env }>();

admin.use('*', requireAdmin);

const SITE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const isOrigin = (o: unknown) => o === '*' || (typeof o === 'string' && /^https?:\/\/[^/\s]+$/.test(o));

admin.post('/sites', async (c) => {
  const body = await c.req.json().catch(() => fail(400, 'invalid-json'));
  const { id, origins, stages } = (body ?? {}) as Record<string, unknown>;
  if (typeof id !== 'string' || !SITE_ID.test(id)) fail(400, 'invalid-site-config');
  if (!Array.isArray(origins) || !origins.every(isOrigin)) fail(400, 'invalid-site-config');
  if (stages !== undefined && !isStageList(stages)) fail(400, 'invalid-site-config');
  const token = newToken();
  const created = await insertSite(c.env.DB, { id, origins, stages, readTokenHash: await sha256Hex(token) });
  if (!created) fail(409, 'site-exists');
  return c.json({ id, read_token: token }, 201);
});

admin.post('/sites/:id/token', async (c) => {
  const token = newToken();
  if (!(await setReadTokenHash(c.env.DB, c.req.param('id'), await sha256Hex(token)))) fail(404, 'not-found');
  return c.json({ id: c.req.param('id'), read_token: token });
});
