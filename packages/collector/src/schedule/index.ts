// The schedule (the Cron Trigger, every minute): each job in its own file, run one after the other; one failing
// does not stop the next.
import { sendUnsent } from '../webhooks/enqueue.ts';
import { checkAlerts } from './alerts.ts';
import { abandonedCarts } from './carts.ts';
import { applyRetention } from './retention.ts';
import { forgetWebhookHistory } from './webhook-history.ts';

/** Deletes raw events past each site's `retention_days` (bounded work per run) and says how many went. */
async function retention(env: Env, now: number): Promise<void> {
  const deleted = await applyRetention(env.DB, now);
  if (deleted) console.log(`retention: ${deleted} raw events deleted`);
}

/** The jobs of a scheduled run, in order. */
const JOBS: Array<[name: string, job: (env: Env, now: number) => Promise<unknown>]> = [
  ['carts', abandonedCarts],
  ['alerts', checkAlerts],
  ['webhook-history', forgetWebhookHistory],
  ['retention', retention],
  // Last: sends the deliveries the jobs above wrote, and any a crashed run left unsent.
  ['webhooks', sendUnsent],
];

/** Runs every job of the schedule at `now` (the trigger's scheduled time). */
export async function runSchedule(env: Env, now: number): Promise<void> {
  for (const [name, job] of JOBS) {
    try {
      await job(env, now);
    } catch (err) {
      console.error(`schedule ${name}`, err);
    }
  }
}
