// The collector's HTTP surface: ingestion, admin, reports, health; every refusal is `{ "error": code }`.
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { admin } from './routes/admin.ts';
import { events } from './routes/events.ts';
import { reports } from './routes/reports.ts';

export const app = new Hono<{ Bindings: Env }>();

app.get('/v1/health', (c) => c.json({ ok: true }));
app.route('/v1/events', events);
app.route('/v1/admin', admin);
app.route('/v1/sites', reports);

app.notFound((c) => c.json({ error: 'not-found' }, 404));
app.onError((err, c) => {
  if (err instanceof HTTPException) return err.getResponse();
  console.error(err);
  return c.json({ error: 'internal' }, 500);
});
