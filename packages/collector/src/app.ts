// The collector's HTTP surface: ingestion, admin, reports, health; every refusal is `{ "error": code }`.
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
import { admin } from './routes/admin.ts';
import { events } from './routes/events.ts';
import { reports } from './routes/reports.ts';
import { surveys } from './routes/surveys.ts';
import { TAG_FILE, tagVariant } from './routes/tag-variants.ts';

export const app = new Hono<{ Bindings: Env }>();

/**
 * Every API reply, refusals included: never sniffed as another type (a stored title must not turn an
 * NDJSON export into HTML), never kept by a browser or proxy cache (reports and tokens are private), but
 * for a reply its route declared `public` (the surveys the tag reads).
 * Hono's secureHeaders would add a dozen headers made for pages, and no Cache-Control: two lines instead.
 */
const apiHeaders = createMiddleware(async function apiHeaders(c, next) {
  await next();
  c.res.headers.set('x-content-type-options', 'nosniff');
  if (!c.res.headers.get('cache-control')?.startsWith('public')) c.res.headers.set('cache-control', 'no-store');
});

app.use('/v1/*', apiHeaders);

app.get('/v1/health', (c) => c.json({ ok: true }));
app.route('/v1/events', events);
app.route('/v1/admin', admin);
// Before the reports: the public surveys read needs no read token.
app.route('/v1/sites', surveys);
app.route('/v1/sites', reports);
app.get(TAG_FILE, tagVariant);

app.notFound((c) => c.json({ error: 'not-found' }, 404));
app.onError((err, c) => {
  if (err instanceof HTTPException) return err.getResponse();
  console.error(err);
  return c.json({ error: 'internal' }, 500);
});
