// Test support for queue consumers: a batch made by `createMessageBatch`, seen through a wrapper that records the
// delay of each retry (getQueueResult tells which messages were retried, not their delay).

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
