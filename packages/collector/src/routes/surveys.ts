// The public read of a site's surveys, `GET /v1/sites/{site}/surveys`: what the tag needs to decide whether one is due.
import { Hono } from 'hono';
import type { SurveysList } from '@parcours/protocol';
import { getSite } from '../db/sites.ts';
import { listSurveys } from '../db/surveys.ts';
import { fail } from '../errors.ts';

/** How long browsers and caches may keep the list: a new survey reaches visitors within five minutes. */
const SURVEYS_MAX_AGE_S = 300;

export const surveys = new Hono<{ Bindings: Env }>();

/**
 * No token: the tag reads it from any page of the site, as it reads the script; the surveys hold nothing private
 * (questions every visitor may be shown). Cacheable and readable from any origin; an unknown site is `404`.
 */
surveys.get('/:site/surveys', async (c) => {
  const site = await getSite(c.env.DB, c.req.param('site'));
  if (!site) fail(404, 'not-found');
  const body: SurveysList = { surveys: await listSurveys(c.env.DB, site.id) };
  return c.json(body, 200, {
    'cache-control': `public, max-age=${SURVEYS_MAX_AGE_S}`,
    'access-control-allow-origin': '*',
  });
});
