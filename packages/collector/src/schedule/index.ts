// The Cron Trigger's work (wrangler.jsonc `triggers.crons`): each job is one call here, run one after the other.
import { applyRetention } from './retention.ts';

export async function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const deleted = await applyRetention(env.DB, controller.scheduledTime);
  if (deleted) console.log(`retention: ${deleted} raw events deleted`);
}
