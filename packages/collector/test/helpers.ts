// Test helpers: requests through the worker's own fetch, site registration through the admin API, batches as the script sends them.
import { exports } from 'cloudflare:workers';
import type { WireEvent } from '@parcours/protocol';
import { VALID_EVENTS } from '@parcours/protocol/fixtures';

export const ADMIN = 'test-admin-token-at-least-32-characters';

/** A request to the worker under test, as a client would send it. */
export function call(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(`http://collector.test${path}`, init));
}

export interface SiteSetup {
  id?: string;
  origins?: string[];
  stages?: string[];
  bot_filter?: boolean;
  visitor_ids?: 'client' | 'cookieless';
  require_ingest_key?: boolean;
  shards?: number;
}

/** Registers a site with a unique id and answers its id, read token and ingest key. */
export async function registerSite(opts: SiteSetup = {}) {
  const id = opts.id ?? `site-${crypto.randomUUID().slice(0, 8)}`;
  const res = await call('/v1/admin/sites', {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ origins: ['https://shop.example'], ...opts, id }),
  });
  if (res.status !== 201) throw new Error(`register ${id}: ${res.status} ${await res.text()}`);
  const { read_token, ingest_key } = (await res.json()) as { read_token: string; ingest_key: string };
  return { id, token: read_token, ingestKey: ingest_key };
}

/**
 * Fresh copies of the fixture events with unique ids (and visitor), so every test stores its own rows,
 * happening a second apart in the minute before now (the fixtures' own times are long past).
 */
export function freshEvents(n = VALID_EVENTS.length, visitor = `v-${crypto.randomUUID().slice(0, 8)}`): WireEvent[] {
  const start = Date.now() - 60_000 - n * 1000;
  return Array.from({ length: n }, (_, i) => ({
    ...structuredClone(VALID_EVENTS[i % VALID_EVENTS.length]!),
    id: crypto.randomUUID(),
    visitor,
    ts: start + i * 1000,
  }));
}

/** Posts a body to `/v1/events` as the script's fetch does (JSON, from the shop's origin unless told otherwise). */
export function postEvents(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return call('/v1/events', {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'https://shop.example', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
