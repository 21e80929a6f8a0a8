// Test support for queued ingestion: the worker's env in queue mode with its messages recorded, and the queue handler
// run on messages as the queue would deliver them (a batch seen through a wrapper that records the delay of each retry:
// getQueueResult tells which messages were retried, not their delay).
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import type { IngestMessage } from '../src/queue-ingest/index.ts';
import { app } from '../src/app.ts';
import worker from '../src/index.ts';

/**
 * The worker's env in queue mode, its queue binding recording every message it sends, and sending it on to the real
 * queue unless `forward` is false (then only this test's `consume` delivers it).
 */
export function queueMode(forward = true) {
  const sent: IngestMessage[] = [];
  const queue = {
    send: async (body: IngestMessage, options?: QueueSendOptions) => {
      sent.push(structuredClone(body));
      if (forward) await env.INGEST_QUEUE.send(body, options);
    },
  } as unknown as Queue;
  return { env: { ...env, INGEST: 'queue', INGEST_QUEUE: queue } as Env, sent };
}

/**
 * Runs the worker's queue handler on these messages as the queue would deliver them: what it acked and retried, and
 * the delay of each retry.
 */
export async function consume(queue: string, bodies: unknown[], attempts = 1, workerEnv: Env = env) {
  const batch = createMessageBatch(
    queue,
    bodies.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts, body })),
  );
  const ctx = createExecutionContext();
  const seen = recordingRetries(batch);
  await worker.queue(seen.batch, workerEnv);
  return { ...(await getQueueResult(batch, ctx)), delays: [...seen.delays.values()] };
}

/** The same batch, each message's `retry` noting its `delaySeconds` (0 when none) in `delays` by message id. */
export function recordingRetries<T>(batch: MessageBatch<T>): { batch: MessageBatch<T>; delays: Map<string, number> } {
  const delays = new Map<string, number>();
  return {
    delays,
    batch: {
      queue: batch.queue,
      metadata: batch.metadata,
      messages: batch.messages.map((m) => ({
        id: m.id,
        timestamp: m.timestamp,
        attempts: m.attempts,
        body: m.body,
        ack: () => m.ack(),
        retry: (o?: QueueRetryOptions) => {
          delays.set(m.id, o?.delaySeconds ?? 0);
          m.retry(o);
        },
      })),
      ackAll: () => batch.ackAll(),
      retryAll: (o) => batch.retryAll(o),
    },
  };
}

/** POST /v1/events as the script does, through the app with the given env. */
export async function postWithEnv(workerEnv: Env, body: unknown): Promise<Response> {
  const req = new Request('http://collector.test/v1/events', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      origin: 'https://shop.example',
      'user-agent': 'Mozilla/5.0 Firefox/140.0',
    },
    body: JSON.stringify(body),
  });
  return app.fetch(req, workerEnv, createExecutionContext());
}
