// Local HTTP servers of the browser benchmarks: the site that serves the test page, and the wire meter
// that counts every request a tracker sends (answering it itself, or passing it on to the real collector).
import {
  createServer,
  request as httpRequest,
  Agent,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Running {
  /** Base URL on 127.0.0.1 with the port the kernel gave. */
  url: string;
  port: number;
  close(): Promise<void>;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A static file the site serves. */
export interface StaticFile {
  type: string;
  body: string | Buffer;
}

/**
 * Serves `files` by path. Pages are cross-origin isolated (COOP + COEP credentialless) so that
 * `performance.now()` has its fine (5 µs) resolution instead of the coarse 100 µs one.
 */
export async function startSite(files: Map<string, StaticFile>): Promise<Running> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = files.get(path);
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'content-type': file.type,
      'cache-control': 'no-store',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'credentialless',
      'cross-origin-resource-policy': 'cross-origin',
    });
    res.end(file.body);
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, port, close: () => closeServer(server) };
}

/** One request as it crossed the wire meter. */
export interface WireRecord {
  method: string;
  path: string;
  contentType: string;
  /** Request line + headers + body, as HTTP/1.1 sends them. */
  requestBytes: number;
  bodyBytes: number;
  /** Status line + headers + body of the answer. */
  responseBytes: number;
  status: number;
  body: Buffer;
}

export interface WireMeter extends Running {
  records: WireRecord[];
}

function headBytes(firstLine: string, rawHeaders: string[]): number {
  let n = Buffer.byteLength(firstLine) + 2 + 2;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2)
    n += Buffer.byteLength(`${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`);
  return n;
}

function corsHeaders(req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  if (!origin) return {};
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-allow-headers': req.headers['access-control-request-headers'] ?? 'content-type',
    'access-control-max-age': '86400',
    vary: 'Origin',
  };
}

function sendCounted(res: ServerResponse, status: number, headers: Record<string, string>, body: Buffer): number {
  const all = { ...headers, 'content-length': String(body.length) };
  res.writeHead(status, all);
  res.end(body);
  const raw = Object.entries(all).flat();
  return headBytes(`HTTP/1.1 ${status} ${res.statusMessage || 'OK'}`, raw) + body.length;
}

/**
 * Counts every request (bytes as sent, including headers) and answers it: with `upstream`, by passing it on
 * to that server (the real collector) and relaying its answer; otherwise as a fast sink (200 `{"status":1}`,
 * the shape the peers' trackers accept, with CORS for any origin).
 */
export async function startWireMeter(upstream?: string): Promise<WireMeter> {
  const records: WireRecord[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const up = upstream ? new URL(upstream) : undefined;
  const server = createServer(async (req, res) => {
    try {
      const body = await readAll(req);
      const path = req.url ?? '/';
      const record: WireRecord = {
        method: req.method ?? 'GET',
        path,
        contentType: req.headers['content-type'] ?? '',
        requestBytes: headBytes(`${req.method} ${path} HTTP/1.1`, req.rawHeaders) + body.length,
        bodyBytes: body.length,
        responseBytes: 0,
        status: 0,
        body,
      };
      records.push(record);
      if (!up) {
        if (req.method === 'OPTIONS') {
          record.status = 204;
          record.responseBytes = sendCounted(res, 204, corsHeaders(req), Buffer.alloc(0));
        } else {
          record.status = 200;
          record.responseBytes = sendCounted(
            res,
            200,
            { ...corsHeaders(req), 'content-type': 'application/json' },
            Buffer.from('{"status":1}'),
          );
        }
        return;
      }
      const headers = { ...req.headers, host: up.host };
      const answer = await new Promise<{
        status: number;
        rawHeaders: string[];
        body: Buffer;
        headers: IncomingMessage['headers'];
      }>((resolve, reject) => {
        const r = httpRequest(
          { hostname: up.hostname, port: up.port, path, method: req.method, headers, agent },
          (ur) => {
            readAll(ur).then(
              (b) => resolve({ status: ur.statusCode ?? 502, rawHeaders: ur.rawHeaders, body: b, headers: ur.headers }),
              reject,
            );
          },
        );
        r.on('error', reject);
        r.end(body);
      });
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(answer.headers)) {
        if (
          v === undefined ||
          k === 'transfer-encoding' ||
          k === 'connection' ||
          k === 'keep-alive' ||
          k === 'content-length'
        )
          continue;
        out[k] = Array.isArray(v) ? v.join(', ') : v;
      }
      record.status = answer.status;
      record.responseBytes = sendCounted(res, answer.status, out, answer.body);
    } catch (e) {
      if (!res.headersSent) res.writeHead(502).end(String(e));
    }
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    records,
    close: async () => {
      await closeServer(server);
      agent.destroy();
    },
  };
}
