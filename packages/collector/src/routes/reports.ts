// The reports API: `GET /v1/sites/:site/:report`, read-token protected.
import { Hono } from 'hono';
import { requireReadToken } from '../auth.ts';
import type { Site } from '../db/sites.ts';
import { fail } from '../errors.ts';

export const reports = new Hono<{ Bindings: Env; Variables: { site: Site } }>();

reports.use('/:site/*', requireReadToken);
// STUB: each report is added by the derive/reports work.
reports.get('/:site/:report', () => fail(404, 'not-found'));
