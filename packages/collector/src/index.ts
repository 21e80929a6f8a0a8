// Worker entry point: HTTP (the Hono app), the ingestion and webhook delivery queues, and the schedule.
import { app } from './app.ts';
import { countDead, INGEST_DEAD_QUEUE_NAME, INGEST_QUEUE_NAME, storeQueued } from './queue-ingest/index.ts';
import { runSchedule } from './schedule/index.ts';
import { buryBatch, type DeliveryMessage, deliverBatch } from './webhooks/deliver.ts';

// The Durable Object class of the site shards (wrangler.jsonc `durable_objects`): STORAGE "shards".
export { SiteShard } from './shard/site-shard.ts';

/** The dead-letter queue of webhook deliveries (wrangler.jsonc). */
const DEAD_LETTER_QUEUE = 'parcours-webhooks-dead';

export default {
  fetch: app.fetch,
  queue(batch: MessageBatch<unknown>, env: Env) {
    if (batch.queue === INGEST_QUEUE_NAME) return storeQueued(batch, env);
    if (batch.queue === INGEST_DEAD_QUEUE_NAME) return countDead(batch, env);
    const deliveries = batch as MessageBatch<DeliveryMessage>;
    return batch.queue === DEAD_LETTER_QUEUE ? buryBatch(deliveries, env) : deliverBatch(deliveries, env);
  },
  scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext) {
    ctx.waitUntil(runSchedule(env, controller.scheduledTime));
  },
} satisfies ExportedHandler<Env, unknown>;
