// Worker entry point: HTTP (the Hono app), the webhook delivery queues, and the schedule.
import { app } from './app.ts';
import { runSchedule } from './schedule/index.ts';
import { buryBatch, type DeliveryMessage, deliverBatch } from './webhooks/deliver.ts';

/** The dead-letter queue of webhook deliveries (wrangler.jsonc). */
const DEAD_LETTER_QUEUE = 'parcours-webhooks-dead';

export default {
  fetch: app.fetch,
  queue(batch: MessageBatch<DeliveryMessage>, env: Env) {
    return batch.queue === DEAD_LETTER_QUEUE ? buryBatch(batch, env) : deliverBatch(batch, env);
  },
  scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext) {
    ctx.waitUntil(runSchedule(env, controller.scheduledTime));
  },
} satisfies ExportedHandler<Env, DeliveryMessage>;
