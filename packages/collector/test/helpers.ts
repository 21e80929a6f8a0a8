// Test helpers: requests through the worker's own fetch, and site registration through the admin API.
import { exports } from 'cloudflare:workers';

export const ADMIN = 'test-admin-token';

/** A request to the worker under test, as a client would send it. */
export function call(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(`http://collector.test${path}`, init));
}

/** Registers a site with a unique id and answers its id and read token. */
export async function registerSite(opts: { id?: string; origins?: string[]; stages?: string[] } = {}) {
  const id = opts.id ?? `site-${crypto.randomUUID().slice(0, 8)}`;
  const res = await call('/v1/admin/sites', {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id, origins: opts.origins ?? ['https://shop.example'], stages: opts.stages }),
  });
  if (res.status !== 201) throw new Error(`register ${id}: ${res.status} ${await res.text()}`);
  const { read_token } = (await res.json()) as { read_token: string };
  return { id, token: read_token };
}
