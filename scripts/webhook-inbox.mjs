// A local webhook receiver for `pnpm dev` and the end-to-end tests: logs each delivery and checks its Standard Webhooks
// signature (HMAC-SHA256 of "id.timestamp.body" under the whsec_ secret), answering 204 when it verifies, 401 otherwise.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

/** How far a delivery's webhook-timestamp may be from this clock: 5 minutes, as Standard Webhooks libraries allow. */
const TOLERANCE_S = 300;

/** Whether `headers` sign `body` under one of `secrets` (each `whsec_` + base64), within the timestamp tolerance. */
export function verifySignature(secrets, headers, body, now = Date.now()) {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = String(headers['webhook-signature'] ?? '').split(' ');
  if (!id || !timestamp || Math.abs(now / 1000 - Number(timestamp)) > TOLERANCE_S) return false;
  for (const secret of secrets) {
    const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
    const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
    for (const s of signatures) {
      const [version, value] = s.split(',');
      const given = Buffer.from(value ?? '', 'base64');
      if (version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected)) return true;
    }
  }
  return false;
}

/** One line saying what a delivery is about. */
function summary(event) {
  const d = event.data ?? {};
  const money = (list) => (list ?? []).map((m) => `${m.value} ${m.currency}`).join(' + ') || '0';
  switch (event.type) {
    case 'cart.abandoned':
      return `cart ${d.cart_id}: ${(d.items ?? []).length} item(s), ${money(d.value)}, left on ${d.exit_page}${d.customer ? `, customer ${d.customer}` : ''}`;
    case 'cart.recovered':
      return `cart ${d.cart_id}: bought (${d.transaction_id}), ${money(d.value)}, ${Math.round((d.recovered_after_ms ?? 0) / 60_000)} min after it was abandoned`;
    default:
      return d.text ?? '';
  }
}

/**
 * Starts the inbox on `port` (default a free one). `secrets()` answers the secrets to verify with (they change when
 * a webhook is registered after the start). `GET /deliveries` answers what it received, as JSON, oldest first.
 * @returns {Promise<{ url: string, port: number, received: object[], stop(): Promise<void> }>}
 */
export function startWebhookInbox({ port = 0, secrets = () => [], log = console.log } = {}) {
  const received = [];
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/deliveries') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(received));
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const verified = verifySignature(secrets(), req.headers, body);
      let event = {};
      try {
        event = JSON.parse(body);
      } catch {
        // not JSON: logged as unverified below
      }
      received.push({ id: req.headers['webhook-id'], verified, type: event.type, data: event.data });
      log(
        `[inbox] ${event.type ?? '?'} ${req.headers['webhook-id'] ?? ''} ${verified ? 'signature ok' : 'SIGNATURE INVALID'}: ${summary(event)}`,
      );
      res.writeHead(verified ? 204 : 401);
      res.end();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const actual = server.address().port;
      resolve({
        url: `http://127.0.0.1:${actual}`,
        port: actual,
        received,
        stop: () => new Promise((done) => server.close(() => done(undefined))),
      });
    });
  });
}
