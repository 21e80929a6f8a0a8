// The load client against a local stand-in collector that records which visitors' batches are in flight together.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { postAll } from './load-client.ts';
import { makeBatches } from './traffic.ts';

describe('the ingestion load client', () => {
  it('posts every batch once with several senders, never two batches of one visitor at a time', async () => {
    const inFlight = new Map<string, number>();
    let overlaps = 0;
    let mostAtOnce = 0;
    let open = 0;
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const events = (JSON.parse(body) as { events: Array<{ visitor: string }> }).events;
        const visitors = [...new Set(events.map((e) => e.visitor))];
        for (const v of visitors) {
          if (inFlight.get(v)) overlaps++;
          inFlight.set(v, (inFlight.get(v) ?? 0) + 1);
        }
        mostAtOnce = Math.max(mostAtOnce, ++open);
        setTimeout(() => {
          for (const v of visitors) inFlight.set(v, inFlight.get(v)! - 1);
          open--;
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ accepted: events.length, duplicates: 0, rejected: [] }));
        }, 5);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      // Batches of 10 cut from journeys: a visitor's events span several consecutive batches.
      const batches = makeBatches('shop', 600, 10, 3);
      const result = await postAll(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, batches, 8);
      expect(result.accepted).toBe(600);
      expect(result.requests).toBe(batches.length);
      expect(overlaps).toBe(0);
      expect(mostAtOnce).toBeGreaterThan(1);
    } finally {
      server.close();
    }
  });
});
