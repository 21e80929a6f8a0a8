// Queued ingestion in workerd: the request enqueues on the real local Queue, its consumer stores in the real D1 (or the
// site's shard: this file runs in both layouts, vitest.config.ts); redelivery, a poisoned message and the dead-letter
// queue are played through the same consumer.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { BatchReply, WireEvent } from '@parcours/protocol';
import { ADMIN, call, freshEvents, registerSite } from '../../test/helpers.ts';
import { sha256Hex } from '../auth.ts';
import { consume, postWithEnv as post, queueMode } from '../../test/queue-support.ts';
import { siteDb } from '../../test/site-rows.ts';
import { rowsNaming, storedTransitions } from '../../test/test-support.ts';
import { ERASURE_MEMORY_MS, forgetOldErasures } from './erasures.ts';
import { INGEST_DEAD_QUEUE_NAME, INGEST_QUEUE_NAME, type IngestMessage } from './index.ts';
import { TABLE } from '../db/schema.ts';

async function storedIds(site: string): Promise<string[]> {
  const { results } = await siteDb(site)
    .prepare(`SELECT id FROM ${TABLE.events} WHERE site = ? ORDER BY id`)
    .bind(site)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/** Resolves once the site holds exactly these ids (polled: the consumer runs on its own schedule). */
function visible(site: string, ids: string[]) {
  return expect.poll(() => storedIds(site), { timeout: 20_000, interval: 100 }).toEqual([...ids].sort());
}

/** The site's counters as the admin API answers them. */
async function totals(site: string): Promise<Record<string, number>> {
  const res = await call(`/v1/admin/sites/${site}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return ((await res.json()) as { ingestion: { totals: Record<string, number> } }).ingestion.totals;
}

async function sessionsOf(site: string) {
  const { results } = await siteDb(site)
    .prepare(`SELECT visitor, session, browser, first_event FROM ${TABLE.sessions} WHERE site = ? ORDER BY session`)
    .bind(site)
    .all();
  return results;
}

describe('queued ingestion', () => {
  it('answers what it queued and stores it once through the real queue, resent or redelivered', async () => {
    const { id } = await registerSite();
    const mode = queueMode();
    const events = freshEvents(6);
    const invalid = { ...events[0]!, id: 'not a uuid' } as WireEvent;
    const body = { v: 1, site: id, sent_at: Date.now(), events: [...events, invalid] };

    const res = await post(mode.env, body);
    expect(res.status).toBe(200);
    const reply = (await res.json()) as BatchReply;
    expect(reply).toMatchObject({ accepted: 6, duplicates: 0 });
    expect(reply.rejected.map((r) => r.index)).toEqual([6]);
    expect(mode.sent).toHaveLength(1);
    await visible(
      id,
      events.map((e) => e.id),
    );
    const visitor = events[0]!.visitor;
    await expect.poll(() => storedTransitions(id, visitor), { timeout: 10_000 }).not.toHaveLength(0);
    const derived = await storedTransitions(id, visitor);
    const sessions = await sessionsOf(id);
    expect(sessions[0]).toMatchObject({ browser: 'Firefox' });
    expect(await totals(id)).toMatchObject({ events: 6 });

    // The queue delivers at least once: the same message again, twice in one batch, changes nothing and is acked.
    const again = await consume(INGEST_QUEUE_NAME, [mode.sent[0], mode.sent[0]], 2);
    expect(again.explicitAcks.sort()).toEqual(['m0', 'm1']);
    expect(again.retryMessages).toEqual([]);
    // The script resending the batch (its reply lost): queued again, answered the same, stored nothing new.
    const resent = await post(mode.env, body);
    expect(await resent.json()).toMatchObject({ accepted: 6, duplicates: 0 });
    await consume(INGEST_QUEUE_NAME, [mode.sent[1]]);

    expect(await storedIds(id)).toEqual(events.map((e) => e.id).sort());
    expect(await storedTransitions(id, visitor)).toEqual(derived);
    expect(await sessionsOf(id)).toEqual(sessions);
    expect(await totals(id)).toMatchObject({ events: 6, bytes: expect.any(Number) });
  });

  it('groups a site’s messages into one write, and stores each id once across messages', async () => {
    const { id } = await registerSite();
    const mode = queueMode(false);
    const a = freshEvents(4);
    const b = freshEvents(3);
    // Two batches sharing an event (the script resent one with a new event added), each carrying a drop count.
    for (const events of [a, [a[3]!, ...b]])
      await post(mode.env, { v: 1, site: id, sent_at: Date.now(), dropped: 2, events });
    expect(await storedIds(id)).toEqual([]);
    const result = await consume(INGEST_QUEUE_NAME, mode.sent);
    expect(result.explicitAcks).toHaveLength(2);
    expect(await storedIds(id)).toEqual([...a, ...b].map((e) => e.id).sort());
    expect(await totals(id)).toMatchObject({ events: 7, dropped: 4 });
  });

  it('retries a poisoned message alone, stores the rest, and counts it once it reaches the dead-letter queue', async () => {
    const shop = await registerSite();
    const other = await registerSite();
    const mode = queueMode();
    const good = freshEvents(3);
    const fine = freshEvents(2);
    await post(mode.env, { v: 1, site: shop.id, sent_at: Date.now(), events: good });
    await post(mode.env, { v: 1, site: other.id, sent_at: Date.now(), events: fine });
    const [goodMessage, otherMessage] = mode.sent as [IngestMessage, IngestMessage];
    // A message the database refuses whenever it is tried: a row without an id (NOT NULL).
    const poisoned: IngestMessage = structuredClone(goodMessage);
    for (const row of poisoned.rows) {
      row.id = `${row.id}-p`;
      (row as { type: string | null }).type = null;
    }

    const result = await consume(INGEST_QUEUE_NAME, [poisoned, goodMessage, otherMessage, { not: 'a batch' }]);
    expect(result.explicitAcks.sort()).toEqual(['m1', 'm2']);
    expect(result.retryMessages.map((m) => m.msgId).sort()).toEqual(['m0', 'm3']);
    // With backoff: the first retry waits (webhooks/backoff.ts), so a database outage is not hammered.
    expect(result.delays).toHaveLength(2);
    expect(Math.min(...result.delays)).toBeGreaterThanOrEqual(20);
    expect(await storedIds(shop.id)).toEqual(good.map((e) => e.id).sort());
    expect(await storedIds(other.id)).toEqual(fine.map((e) => e.id).sort());

    // Its retries ran out: the dead-letter consumer counts it on the site's stats, the unknown shape is only logged.
    const dead = await consume(INGEST_DEAD_QUEUE_NAME, [poisoned, { not: 'a batch' }], 41);
    expect(dead.explicitAcks.sort()).toEqual(['m0', 'm1']);
    expect(await totals(shop.id)).toMatchObject({ events: 3, dead_events: 3, dead_batches: 1 });
    expect(await totals(other.id)).toMatchObject({ events: 2, dead_events: 0 });
  });

  it('a message with one event the database always refuses stores the others and counts that one storage_failed', async () => {
    const { id } = await registerSite();
    const mode = queueMode(false);
    const events = freshEvents(5);
    const others = freshEvents(2);
    for (const batch of [events, others]) await post(mode.env, { v: 1, site: id, sent_at: Date.now(), events: batch });
    const [message, fine] = mode.sent as [IngestMessage, IngestMessage];
    // One row the database refuses whenever it is tried (a type violating NOT NULL), among four it takes.
    (message.rows[2] as { type: string | null }).type = null;

    // First delivered, it is retried whole (the database may be failing for a moment); its group's other message is stored.
    const first = await consume(INGEST_QUEUE_NAME, [message, fine]);
    expect(first.explicitAcks).toEqual(['m1']);
    expect(first.retryMessages.map((m) => m.msgId)).toEqual(['m0']);
    expect(await storedIds(id)).toEqual(others.map((e) => e.id).sort());
    // Its retry stores it the careful way: the four the database takes, and the one it refuses counted.
    const retried = await consume(INGEST_QUEUE_NAME, [message, fine], 2);
    expect(retried.explicitAcks.sort()).toEqual(['m0', 'm1']);
    expect(retried.retryMessages).toEqual([]);
    const kept = [...events.filter((_, i) => i !== 2), ...others].map((e) => e.id).sort();
    expect(await storedIds(id)).toEqual(kept);
    // The four are derived, as direct mode derives what it stores the careful way.
    const derived = await storedTransitions(id, events[0]!.visitor);
    expect(derived).not.toHaveLength(0);
    expect(derived.map((t) => t.event_id)).not.toContain(events[2]!.id);
    expect(await totals(id)).toMatchObject({ events: 6, storage_failed: 1, dead_events: 0, dead_batches: 0 });

    // Delivered again (at least once): nothing stored twice, and the refused event never counted as stored.
    const again = await consume(INGEST_QUEUE_NAME, [message], 3);
    expect(again.explicitAcks).toEqual(['m0']);
    expect(await storedIds(id)).toEqual(kept);
    expect(await totals(id)).toMatchObject({ events: 6, dead_events: 0 });
  });

  it('an erasure wins over queued batches: one received before it and stored after it leaves nothing of the visitor', async () => {
    const { id } = await registerSite();
    const mode = queueMode(false);
    const visitor = `v-${crypto.randomUUID().slice(0, 8)}`;
    const stored = freshEvents(3, visitor);
    const queued = freshEvents(4, visitor);
    const neighbour = freshEvents(2);
    for (const events of [stored, [...queued, ...neighbour]])
      await post(mode.env, { v: 1, site: id, sent_at: Date.now(), events });
    const [first, second] = mode.sent as [IngestMessage, IngestMessage];
    // The first batch is stored (this isolate's consumer has now read the site's erasures: none); the second waits.
    await consume(INGEST_QUEUE_NAME, [first]);
    expect(await storedIds(id)).toEqual(stored.map((e) => e.id).sort());

    const erased = await call(`/v1/admin/sites/${id}/visitors/${visitor}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(await erased.json()).toEqual({ events_deleted: 3 });

    // The queued batch, delivered after the erasure, and again with another: only the neighbour's events are stored.
    expect((await consume(INGEST_QUEUE_NAME, [second])).explicitAcks).toEqual(['m0']);
    expect((await consume(INGEST_QUEUE_NAME, [second, first], 2)).explicitAcks.sort()).toEqual(['m0', 'm1']);
    expect(await storedIds(id)).toEqual(neighbour.map((e) => e.id).sort());
    expect(await sessionsOf(id)).toEqual([expect.objectContaining({ visitor: neighbour[0]!.visitor })]);
    // No table holds a row naming the visitor: not their events, sessions, derived rows, nor the erasure's record.
    expect(await rowsNaming(id, visitor)).toEqual({});

    // Their events received after the erasure are new ones: stored.
    const back = freshEvents(2, visitor);
    await post(mode.env, { v: 1, site: id, sent_at: Date.now(), events: back });
    await consume(INGEST_QUEUE_NAME, [mode.sent[2]]);
    expect(await storedIds(id)).toEqual([...neighbour, ...back].map((e) => e.id).sort());

    // The record is kept while a batch received before the erasure may still be queued, then forgotten.
    const records = async () =>
      (await siteDb(id)
        .prepare(`SELECT COUNT(*) AS n FROM ${TABLE.erased_visitors} WHERE site = ?`)
        .bind(id)
        .first<{ n: number }>())!.n;
    expect(await records()).toBe(1);
    await forgetOldErasures(siteDb(id), Date.now() + ERASURE_MEMORY_MS - 60_000);
    expect(await records()).toBe(1);
    await forgetOldErasures(siteDb(id), Date.now() + ERASURE_MEMORY_MS + 60_000);
    expect(await records()).toBe(0);
  });

  it('an erasure that comes while a message is stored the careful way (no transaction) is applied again', async () => {
    const { id } = await registerSite();
    const mode = queueMode(false);
    const visitor = `v-${crypto.randomUUID().slice(0, 8)}`;
    const theirs = freshEvents(4, visitor);
    const neighbour = freshEvents(3);
    await post(mode.env, { v: 1, site: id, sent_at: Date.now(), events: [...theirs, ...neighbour] });
    const message = mode.sent[0] as IngestMessage;
    // A neighbour's row the database refuses: the message is stored the careful way, row by row.
    (message.rows[6] as { type: string | null }).type = null;
    // The site's hash key (made by its first erasure), to name the visitor as an erasure does.
    const admin = { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } };
    await call(`/v1/admin/sites/${id}/visitors/someone-else`, admin);
    const { hash_key } = (await siteDb(id)
      .prepare(`SELECT hash_key FROM ${TABLE.site_erasures} WHERE site = ?`)
      .bind(id)
      .first<{ hash_key: string }>())!;
    const hash = await sha256Hex(`${hash_key}\u0000${visitor}`);
    // The visitor's erasure, committed right after their first row goes in: it records itself and deletes that row;
    // their next rows go in after it (the careful way holds no transaction that could fail on it).
    await siteDb(id)
      .prepare(
        `CREATE TRIGGER erase_midway AFTER INSERT ON ${TABLE.events}
       WHEN NEW.site = '${id}' AND NEW.visitor = '${visitor}'
        AND NOT EXISTS (SELECT 1 FROM ${TABLE.erased_visitors} WHERE site = NEW.site AND visitor_hash = '${hash}')
       BEGIN
         INSERT INTO ${TABLE.erased_visitors} (site, visitor_hash, erased_at) VALUES (NEW.site, '${hash}', ${Date.now()});
         UPDATE ${TABLE.site_erasures} SET erasures = erasures + 1 WHERE site = NEW.site;
         DELETE FROM ${TABLE.events} WHERE site = NEW.site AND visitor = NEW.visitor;
       END`,
      )
      .run();
    try {
      const result = await consume(INGEST_QUEUE_NAME, [message], 2);
      expect(result.explicitAcks).toEqual(['m0']);
    } finally {
      await siteDb(id).prepare('DROP TRIGGER erase_midway').run();
    }
    expect(await storedIds(id)).toEqual(
      neighbour
        .slice(0, 2)
        .map((e) => e.id)
        .sort(),
    );
    expect(await rowsNaming(id, visitor)).toEqual({});
  });

  it('FAULT_CONSUMER_CRASHES crashes the chosen deliveries after their writes; redelivered, nothing is stored twice', async () => {
    const { id } = await registerSite();
    const mode = queueMode(false);
    const [a, b, c] = [freshEvents(4), freshEvents(3), freshEvents(2)];
    for (const events of [a, b, c]) await post(mode.env, { v: 1, site: id, sent_at: Date.now(), events });
    const [first, second, third] = mode.sent;
    // Deliveries 2 and 3 of this isolate crash (the only ones counted: no other test sets the switch).
    const faulty = { ...env, FAULT_CONSUMER_CRASHES: '2', FAULT_CONSUMER_CRASH_AFTER: '1' } as Env;

    expect((await consume(INGEST_QUEUE_NAME, [first], 1, faulty)).explicitAcks).toEqual(['m0']);
    for (const attempts of [1, 2]) {
      const crashed = consume(INGEST_QUEUE_NAME, [second], attempts, faulty);
      await expect(crashed).rejects.toThrow(/injected consumer crash/);
    }
    // The crashes came after the write: the events are stored, and each delivery again changed nothing.
    expect(await storedIds(id)).toEqual([...a, ...b].map((e) => e.id).sort());
    const after = await consume(INGEST_QUEUE_NAME, [second, third], 3, faulty);
    expect(after.explicitAcks.sort()).toEqual(['m0', 'm1']);
    expect(await storedIds(id)).toEqual([...a, ...b, ...c].map((e) => e.id).sort());
    expect(await totals(id)).toMatchObject({ events: 9 });
  });

  it('a batch too large for one message is stored in the request, and answered as direct mode answers', async () => {
    const { id } = await registerSite();
    const mode = queueMode(false);
    // 100 events with 1,500-character URLs: well over the 128 KB a queue message may hold once rows are built.
    const events = freshEvents(100).map((e) => ({ ...e, url: `https://shop.example/p/${'x'.repeat(1500)}` }));
    const body = { v: 1, site: id, sent_at: Date.now(), events };
    const first = await post(mode.env, body);
    expect(await first.json()).toMatchObject({ accepted: 100, duplicates: 0 });
    expect(mode.sent).toHaveLength(0);
    expect(await storedIds(id)).toEqual(events.map((e) => e.id).sort());
    expect(await (await post(mode.env, body)).json()).toMatchObject({ accepted: 0, duplicates: 100 });
  });

  it('a site over its quota: the events that fit are queued, the refusal counted once by the request', async () => {
    const { id } = await registerSite();
    const limit = await call(`/v1/admin/sites/${id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ quota: { events_per_visitor_per_day: 3 } }),
    });
    expect(limit.status).toBe(200);
    const mode = queueMode();
    const events = freshEvents(5);
    const res = await post(mode.env, { v: 1, site: id, sent_at: Date.now(), events });
    expect(res.status).toBe(429);
    expect((await res.json()) as unknown).toMatchObject({ error: 'quota-exceeded' });
    await visible(
      id,
      events.slice(0, 3).map((e) => e.id),
    );
    await consume(INGEST_QUEUE_NAME, mode.sent, 2);
    expect(await totals(id)).toMatchObject({ events: 3, quota_events: 2, quota_batches: 1 });
  });

  it('a batch stored already takes no quota: with a quota of 0 it is queued as duplicates, not refused', async () => {
    const { id } = await registerSite();
    const mode = queueMode();
    const events = freshEvents(3);
    const body = { v: 1, site: id, sent_at: Date.now(), events };
    expect((await post(mode.env, body)).status).toBe(200);
    await visible(
      id,
      events.map((e) => e.id),
    );
    const limit = await call(`/v1/admin/sites/${id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ quota: { events_per_day: 0 } }),
    });
    expect(limit.status).toBe(200);
    // The resend (its answer was lost) is stored already: not refused, nothing counted as refused.
    expect((await post(mode.env, body)).status).toBe(200);
    // A stored event beside a new one: the new one is refused, and only it is counted.
    expect((await post(mode.env, { ...body, events: [events[0]!, ...freshEvents(1)] })).status).toBe(429);
    expect(await totals(id)).toMatchObject({ events: 3, quota_events: 1, quota_batches: 1 });
  });
});
