// Worker entry point: the HTTP app, and the scheduled jobs of the Cron Trigger.
import { app } from './app.ts';
import { runScheduled } from './schedule/index.ts';

export default {
  fetch: app.fetch,
  scheduled: (controller, env, ctx) => ctx.waitUntil(runScheduled(controller, env)),
} satisfies ExportedHandler<Env>;
