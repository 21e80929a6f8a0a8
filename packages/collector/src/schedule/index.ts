// The schedule (the Cron Trigger, every minute): each job in its own file, run one after the other; one failing
// does not stop the next.
import { sendUnsent } from '../webhooks/enqueue.ts';
import { checkAlerts } from './alerts.ts';
import { abandonedCarts } from './carts.ts';
import { forgetWebhookHistory } from './webhook-history.ts';

/** The jobs of a scheduled run, in order. Another job (retention, …) joins this list. */
const JOBS: Array<[name: string, job: (env: Env, now: number) => Promise<unknown>]> = [
  ['carts', abandonedCarts],
  ['alerts', checkAlerts],
  ['webhook-history', forgetWebhookHistory],
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
