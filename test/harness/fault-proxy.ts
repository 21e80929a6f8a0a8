// A tiny HTTP proxy in front of the collector: records every event batch the script sends and injects faults on command.
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One `POST /v1/events` the browser made through the proxy, faulted or forwarded. */
interface RecordedRequest {
  body: string;
  contentType: string;
  origin: string | undefined;
  /** What the browser got: the collector's status, the injected one, or `hang` / `drop`. */
  outcome: number | 'hang' | 'drop';
  /** When it arrived (ms since epoch). */
  at: number;
}

/** A fault for the next `times` event requests (default: until `clear()`). */
type Fault = { status: number; retryAfter?: string } | 'hang' | 'drop';

export interface FaultProxy {
  /** The proxy's origin: use it as the script's `data-endpoint`. */
  url: string;
  /** Every event request so far, in arrival order. */
  requests: RecordedRequest[];
  /** Ids of every event in every request body (a resent event appears once per request). */
  sentIds(): string[];
  /** Ids of events in requests the collector answered 200. */
  deliveredIds(): string[];
  /** Injects `fault` into the next `times` event requests (default: all until `clear()`). */
  fault(fault: Fault, times?: number): void;
  /** Ends the fault; requests left hanging are dropped. */
  clear(): void;
  /** Stops the proxy and closes every connection. */
  stop(): Promise<void>;
}

const isEvents = (req: IncomingMessage) =>
  req.method === 'POST' && new URL(req.url ?? '/', 'http://x').pathname === '/v1/events';
const idsOf = (body: string): string[] => {
  try {
    return (JSON.parse(body) as { events?: Array<{ id: string }> }).events?.map((e) => e.id) ?? [];
  } catch {
    return [];
  }
};

/** Starts a proxy on 127.0.0.1 (free port) forwarding to `target` (the collector's origin), Origin and CORS headers untouched. */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const to = new URL(target);
  const requests: RecordedRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  let current: Fault | undefined;
  let left = Infinity;

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, rec?: RecordedRequest) => {
    const up = request(
      {
        host: to.hostname,
        port: to.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: to.host },
      },
      (r) => {
        if (rec) rec.outcome = r.statusCode ?? 0;
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    up.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (!isEvents(req)) return forward(req, res, body);
      const fault = current && left > 0 ? current : undefined;
      if (fault && --left <= 0) current = undefined;
      const rec: RecordedRequest = {
        body: body.toString('utf8'),
        contentType: req.headers['content-type'] ?? '',
        origin: req.headers.origin,
        outcome: 0,
        at: Date.now(),
      };
      requests.push(rec);
      if (!fault) return forward(req, res, body, rec);
      if (fault === 'drop') {
        rec.outcome = 'drop';
        return req.socket.destroy();
      }
      if (fault === 'hang') {
        rec.outcome = 'hang';
        hanging.add(res);
        return;
      }
      rec.outcome = fault.status;
      // The page must be able to read the refusal (and its Retry-After), as it can the collector's.
      const cors = req.headers.origin
        ? { 'access-control-allow-origin': req.headers.origin, 'access-control-expose-headers': 'retry-after' }
        : {};
      res.writeHead(fault.status, {
        'content-type': 'application/json',
        ...cors,
        ...(fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}),
      });
      res.end(JSON.stringify({ error: 'injected-fault' }));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;

  const clear = () => {
    current = undefined;
    left = Infinity;
    for (const res of hanging) res.destroy();
    hanging.clear();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    sentIds: () => requests.flatMap((r) => idsOf(r.body)),
    deliveredIds: () => requests.filter((r) => r.outcome === 200).flatMap((r) => idsOf(r.body)),
    fault(f, times = Infinity) {
      current = f;
      left = times;
    },
    clear,
    async stop() {
      clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
