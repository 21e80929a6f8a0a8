// What a site stored, read back as its owner would: the NDJSON export (each stored event once, in storage order) and
// the admin API's ingestion counters.
import { UNLIMITED_QUOTA } from '../../scripts/collector-process.mjs';

const DAY = 86_400_000;
/** The export's largest page. */
const PAGE = 10_000;

let client = 0;
/** Each read from another documentation-range client (RFC 5737): the reports' and admin API's rate limits are per client. */
const clientAddress = () => `198.51.100.${(client++ % 250) + 1}`;

/** One page of the site's export after `cursor`: the stored events' ids, and the cursor of the next page if more remain. */
async function exportPage(
  url: string,
  site: string,
  token: string,
  cursor: string | null,
): Promise<{ ids: string[]; next: string | null }> {
  // The traffic's events spread over the 30 days before the run.
  const q = new URLSearchParams({
    from: new Date(Date.now() - 40 * DAY).toISOString(),
    to: new Date(Date.now() + DAY).toISOString(),
    limit: String(PAGE),
  });
  if (cursor) q.set('cursor', cursor);
  const res = await fetch(`${url}/v1/sites/${site}/events?${q}`, {
    headers: { authorization: `Bearer ${token}`, 'cf-connecting-ip': clientAddress() },
  });
  if (res.status !== 200) throw new Error(`export of ${site}: ${res.status} ${await res.text()}`);
  const text = await res.text();
  const ids = text
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { id: string }).id);
  return { ids, next: res.headers.get('x-next-cursor') };
}

/** Every event id the site's export holds, in storage order, repeats included (there must be none). */
export async function exportedIds(url: string, site: string, token: string): Promise<string[]> {
  const all: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await exportPage(url, site, token, cursor);
    all.push(...page.ids);
    cursor = page.next;
  } while (cursor);
  return all;
}

/**
 * Follows a site's export as it grows: `poll()` reads what was stored since the last poll and notes when each id was
 * first seen (performance.now()). It only passes cursors the export gave: the last, unfinished page is read again.
 */
export function createExportTail(url: string, site: string, token: string) {
  const firstSeen = new Map<string, number>();
  let cursor: string | null = null;
  return {
    firstSeen,
    async poll(): Promise<void> {
      for (;;) {
        const page = await exportPage(url, site, token, cursor);
        const at = performance.now();
        for (const id of page.ids) if (!firstSeen.has(id)) firstSeen.set(id, at);
        if (!page.next) return;
        cursor = page.next;
      }
    },
  };
}

/** Events the site stored, as its ingestion counters say (each id counted once, when stored). */
export async function countedEvents(url: string, adminToken: string, site: string): Promise<number> {
  const res = await fetch(`${url}/v1/admin/sites/${site}`, {
    headers: { authorization: `Bearer ${adminToken}`, 'cf-connecting-ip': clientAddress() },
  });
  if (res.status !== 200) throw new Error(`counters of ${site}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { ingestion: { totals: { events: number } } }).ingestion.totals.events;
}

/** Registers the site (bot filtering off: Node is no browser; no quota in the way) and returns its read token. */
export async function registerLoadSite(url: string, adminToken: string, site: string): Promise<string> {
  for (;;) {
    const res = await fetch(`${url}/v1/admin/sites`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${adminToken}`,
        'content-type': 'application/json',
        'cf-connecting-ip': clientAddress(),
      },
      body: JSON.stringify({
        id: site,
        origins: ['*'],
        bot_filter: false,
        quota: UNLIMITED_QUOTA,
      }),
    });
    if (res.status === 201) return ((await res.json()) as { read_token: string }).read_token;
    if (res.status !== 429) throw new Error(`registering ${site}: ${res.status} ${await res.text()}`);
    await new Promise((resolve) => setTimeout(resolve, Number(res.headers.get('retry-after') ?? 1) * 1000));
  }
}
