// The schedule (the Cron Trigger, every minute): each job in its own file, run one after the other; one failing
// does not stop the next.
import { forgetOldErasures } from '../queue-ingest/erasures.ts';
import { sendUnsent } from '../webhooks/enqueue.ts';
import { checkAlerts } from './alerts.ts';
import { abandonedCarts } from './carts.ts';
import { deriveDirtyVisitors } from './derive.ts';
import { applyRetention } from './retention.ts';
import { forgetWebhookHistory } from './webhook-history.ts';
import { runMoves } from '../shard/move.ts';
import { siteStorageById } from '../shard/storage.ts';

/** Deletes raw events past each site's `retention_days` (bounded work per run) and says how many went. */
async function retention(env: Env, now: number): Promise<void> {
  const deleted = await applyRetention(env.DB, now, async (site, horizon, budget) =>
    (await siteStorageById(env, site)).deleteBefore(site, horizon, budget),
  );
  if (deleted) console.log(`retention: ${deleted} raw events deleted`);
}

/** Derives the visitors requests left behind (a failed or budget-cut derivation), and says how many. */
async function derive(env: Env): Promise<void> {
  const derived = await deriveDirtyVisitors(env.DB);
  if (derived) console.log(`derive: ${derived} visitors caught up`);
}

/** The jobs of a scheduled run, in order. */
const JOBS: Array<[name: string, job: (env: Env, now: number) => Promise<unknown>]> = [
  // First: carts and alerts read the derived rows.
  ['derive', derive],
  ['carts', abandonedCarts],
  ['alerts', checkAlerts],
  ['webhook-history', forgetWebhookHistory],
  ['retention', retention],
  ['erasures', (env, now) => forgetOldErasures(env.DB, now)],
  // A step of each site's move to another shard count (src/shard/move.ts).
  ['moves', runMoves],
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
