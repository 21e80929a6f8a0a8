// Moving a site from its N shards to M (admin `POST /v1/admin/sites/{site}/shards`, docs/PROTOCOL.md "Moving a site to
// another count"). The new shards are the site's next generation of shard names, so old and new never share one. The
// schedule runs each move a bounded step at a time (a few pages), and D1's shard_moves row says where it is after
// each page, so a step cut short anywhere is simply run again: storing a page twice stores nothing twice.
//   history: each old shard's visitors, a page of whole visitors at a time (by id; one larger than a page in parts of
//          a page each, see VisitorPart), go to the new shard of each visitor's hash mod M as the old shard holds
//          them: events, derived rows, sessions, saved derivation states (move-rows.ts). Nothing is derived again, so days whose raw events retention deleted move too, and the new
//          shards take the old ones' retention horizon. The old shard's last `seq` before its first page is kept.
//   copy:  each old shard's events after that `seq` (stored since its history was read), page by page in insertion
//          order, go to the new shards, which derive the ones they lack from the states they hold, as the old shard
//          did; ingestion and reports still use the old shards.
//   switch (once every old shard is caught up and the new ones have derived all they hold): one D1 write points the
//          site at the new generation.
//   drain: each old shard is retired (it refuses writes from then on: a request that still named it reads the site
//          again and stores in the new shards), what it still holds is copied again (pages already stored change
//          nothing; anything a request wrote before the switch is stored now) and deleted page by page, its counters
//          and owed cart deliveries handed over, and it is emptied.
import { TABLE } from '../db/schema.ts';
import { getSite, type Site } from '../db/sites.ts';
import { failWithMessage } from '../errors.ts';
import { forgetSite } from '../ingest/site-cache.ts';
import { writeOwed } from '../schedule/carts.ts';
import { historyOf, type MovePage, type VisitorPart } from './move-rows.ts';
import { type Shard, shardIndex, shardOf, sharded, siteStorage, type StoredSite } from './storage.ts';

/** Events read from an old shard at a time, and pages a step copies at most (a step stays well inside a Worker's limits). */
const PAGE_EVENTS = 500;
const PAGES_PER_STEP = 20;

type Phase = 'history' | 'copy' | 'drain' | 'done';

/** Where the history phase is in one old shard. */
interface HistoryMark {
  /** The last visitor copied whole ('' before the first). */
  after: string;
  /** Where the next page starts inside the visitor after it, when that one is too large for a page (else null). */
  part?: VisitorPart | null;
  /** The shard's last `seq` before its first history page (null until read): the copy phase starts after it. */
  seq: number | null;
  /** Its retention horizon, as its pages told it. */
  horizon: number | null;
  done: boolean;
}

/** A site's move as D1 keeps it (shard_moves). */
interface MoveRow {
  site: string;
  from_shards: number;
  to_shards: number;
  from_generation: number;
  to_generation: number;
  phase: Phase;
  /** Per old shard: in `history` a HistoryMark, in `copy` the last `seq` copied, in `drain` 1 once it is emptied. */
  cursors: string;
  copied: number;
  steps: number;
  started_at: number;
  switched_at: number | null;
  finished_at: number | null;
}

/** A move as the admin API shows it. */
export interface MoveState {
  from: number;
  to: number;
  phase: Phase;
  copied: number;
  steps: number;
  started_at: string;
  switched_at: string | null;
  finished_at: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function moveState(m: MoveRow): MoveState {
  return {
    from: m.from_shards,
    to: m.to_shards,
    phase: m.phase,
    copied: m.copied,
    steps: m.steps,
    started_at: iso(m.started_at)!,
    switched_at: iso(m.switched_at),
    finished_at: iso(m.finished_at),
  };
}

async function readMove(db: D1Database, site: string): Promise<MoveRow | null> {
  return db.prepare(`SELECT * FROM ${TABLE.shard_moves} WHERE site = ?`).bind(site).first<MoveRow>();
}

/** What `GET` and `POST /v1/admin/sites/{site}/shards` answer: the site's count now and its last move, if any. */
export async function shardsOfSite(db: D1Database, site: Site): Promise<{ shards: number; move: MoveState | null }> {
  const move = await readMove(db, site.id);
  return { shards: site.shards, move: move && moveState(move) };
}

/** Whether a move is under way for this site (neither absent nor done). */
const running = (m: MoveRow | null): m is MoveRow => m !== null && m.phase !== 'done';

/** The shard count a site is headed for: its running move's target, else its count. */
export async function targetShards(db: D1Database, site: Site): Promise<number> {
  const move = await readMove(db, site.id);
  return running(move) ? move.to_shards : site.shards;
}

/**
 * Starts moving `site` to `to` shards, or answers the move already going there: `started` false when nothing was
 * to do (the site has that count). Refusal: `409 move-in-progress` (a move to another count runs). In the one-D1
 * layout the count is only recorded.
 */
export async function startMove(
  env: Pick<Env, 'DB' | 'STORAGE'>,
  site: Site,
  to: number,
  now: number,
): Promise<{ started: boolean }> {
  const current = await readMove(env.DB, site.id);
  if (running(current)) {
    if (current.to_shards === to) return { started: true };
    failWithMessage(
      409,
      'move-in-progress',
      `the site is moving to ${current.to_shards} shards: wait for that move to finish`,
    );
  }
  if (to === site.shards) return { started: false };
  const done = !sharded(env);
  const start: HistoryMark = { after: '', part: null, seq: null, horizon: null, done: false };
  const statements = [
    env.DB.prepare(
      `INSERT INTO ${TABLE.shard_moves} (site, from_shards, to_shards, from_generation, to_generation, phase, cursors,
         copied, steps, started_at, switched_at, finished_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, 0, ?8, ?9, ?9)
       ON CONFLICT (site) DO UPDATE SET from_shards = ?2, to_shards = ?3, from_generation = ?4, to_generation = ?5,
         phase = ?6, cursors = ?7, copied = 0, steps = 0, started_at = ?8, switched_at = ?9, finished_at = ?9
       WHERE phase = 'done'`,
    ).bind(
      site.id,
      site.shards,
      to,
      site.generation,
      site.generation + 1,
      done ? 'done' : 'history',
      JSON.stringify(Array.from({ length: site.shards }, () => start)),
      now,
      done ? now : null,
    ),
  ];
  // One D1: the count changes nothing where rows live, so it is recorded at once.
  if (done) statements.push(env.DB.prepare(`UPDATE ${TABLE.sites} SET shards = ?2 WHERE id = ?1`).bind(site.id, to));
  const [inserted] = await env.DB.batch(statements);
  forgetSite(site.id);
  // Another request started a move meanwhile: answer as if it had come first.
  if (!inserted!.meta.changes) return startMove(env, (await getSite(env.DB, site.id))!, to, now);
  return { started: true };
}

/** A step's bounds (tests make them small) and, for tests, a call after each new shard stored its part of a page. */
export interface StepOptions {
  /** Pages it copies at most (PAGES_PER_STEP). */
  pages?: number;
  /** Events a page holds at most (PAGE_EVENTS). */
  pageEvents?: number;
  /** Called with the part a new shard just stored and the whole page it belongs to. */
  afterPart?: (stored: MovePage, page: MovePage) => Promise<void>;
}

/** A page split by the new shard of each visitor: `[k, part]` for each new shard with some of its visitors. */
function splitPage(page: MovePage, count: number): Array<[number, MovePage]> {
  const parts = new Map<number, MovePage>();
  const visitors = new Map<number, Set<string>>();
  const part = (visitor: string) => {
    const k = shardIndex(visitor, count);
    const p = parts.get(k) ?? { events: [], sessions: [], claims: [], last: page.last };
    parts.set(k, p);
    visitors.set(k, (visitors.get(k) ?? new Set()).add(visitor));
    return p;
  };
  for (const e of page.events) part(e.row.visitor).events.push(e);
  for (const s of page.sessions) part(s.visitor).sessions.push(s);
  for (const c of page.claims) part(c.visitor).claims.push(c);
  for (const v of page.history?.visitors ?? []) part(v);
  if (page.history) for (const [k, p] of parts) p.history = historyOf(page.history, visitors.get(k)!);
  return [...parts];
}

/**
 * Runs one step of the site's move, if one is under way: at most `pages` pages (PAGES_PER_STEP), each stored in the
 * new shards and then recorded in D1. Answers the move's state after it (null: the site never moved).
 */
export async function moveStep(
  env: Pick<Env, 'DB' | 'SHARDS' | 'STORAGE'>,
  id: string,
  options: StepOptions = {},
): Promise<MoveState | null> {
  const move = await readMove(env.DB, id);
  if (!running(move)) return move && moveState(move);
  const site = await getSite(env.DB, id);
  if (!site) {
    await env.DB.prepare(`DELETE FROM ${TABLE.shard_moves} WHERE site = ?`).bind(id).run();
    return null;
  }
  const { readTokenHash: _, ...ingestSite } = site;
  const old = Array.from({ length: move.from_shards }, (_, k) => shardOf(env, id, k, move.from_generation));
  const fresh = Array.from({ length: move.to_shards }, (_, k) => shardOf(env, id, k, move.to_generation));
  const cursors = JSON.parse(move.cursors) as number[];
  let pagesLeft = options.pages ?? PAGES_PER_STEP;
  const pageEvents = options.pageEvents ?? PAGE_EVENTS;
  let copied = 0;

  /** Stores a page in the new shards (each its visitors' part), one after the other. */
  const copy = async (page: MovePage) => {
    for (const [k, part] of splitPage(page, move.to_shards)) {
      copied += await fresh[k]!.moveIn(ingestSite, part);
      await options.afterPart?.(part, page);
    }
    pagesLeft -= 1;
  };
  /** Records where the move is, in its phase only (a step that lost a race to another changes nothing). */
  const save = async (phase: Phase = move.phase, extra = '', where: unknown[] = cursors) => {
    await env.DB.prepare(
      `UPDATE ${TABLE.shard_moves} SET cursors = ?3, copied = copied + ?4, phase = ?5${extra}
        WHERE site = ?1 AND phase = ?2 AND to_generation = ?6`,
    )
      .bind(id, move.phase, JSON.stringify(where), copied, phase, move.to_generation)
      .run();
    copied = 0;
  };

  if (move.phase === 'history') {
    const marks = JSON.parse(move.cursors) as HistoryMark[];
    for (let k = 0; k < old.length; k++) {
      const mark = marks[k]!;
      while (!mark.done && pagesLeft > 0) {
        const read = await old[k]!.historyPage(id, mark.after, pageEvents, mark.part ?? null);
        // Read with the first page: every event up to it is in a history page, read then or later.
        mark.seq ??= read.seq;
        mark.horizon = read.horizon;
        if (read.last === null) mark.done = true;
        else {
          await copy(read.page);
          mark.after = read.last;
          mark.part = read.part;
        }
        await save(move.phase, '', marks);
      }
    }
    if (marks.some((m) => !m.done)) return finishStep(env.DB, id);
    // Every new shard takes the old shards' horizon, those without a visitor yet too: none derives before it.
    const horizons = marks.flatMap((m) => (m.horizon === null ? [] : [m.horizon]));
    if (horizons.length) for (const shard of fresh) await shard.takeHorizon(ingestSite, Math.max(...horizons));
    await save(
      'copy',
      '',
      marks.map((m) => m.seq ?? 0),
    );
    return finishStep(env.DB, id);
  }

  if (move.phase === 'copy') {
    let caughtUp = true;
    for (let k = 0; k < old.length; k++) {
      let full = true;
      while (full && pagesLeft > 0) {
        const page = await old[k]!.movePage(id, cursors[k]!, pageEvents);
        full = page.events.length === pageEvents;
        if (page.last === null) break;
        await copy(page);
        cursors[k] = page.last;
        await save();
      }
      if (full) caughtUp = false;
    }
    if (!caughtUp) return finishStep(env.DB, id);
    // Every old shard is caught up, and each new shard has derived every visitor it holds (else the next step goes
    // on): the site switches to the new generation (and its count) in one write.
    const behind = await Promise.all(fresh.map((shard) => shard.catchUp()));
    if (behind.some(Boolean)) return finishStep(env.DB, id);
    // The old shards' memory of erasures goes to every new shard (a record names no visitor, so not to the one of its
    // visitor): a batch of an erased visitor still in the queue, delivered after the switch, is dropped there too.
    // Erasures from now on reach both generations (eraseInMove).
    const memories = await Promise.all(old.map((shard) => shard.erasureMemory(id)));
    for (const shard of fresh) await shard.inheritErasures(id, memories);
    const now = Date.now();
    cursors.fill(0);
    await env.DB.batch([
      env.DB.prepare(
        `UPDATE ${TABLE.sites} SET shards = ?2, shard_generation = ?3 WHERE id = ?1 AND shard_generation = ?4`,
      ).bind(id, move.to_shards, move.to_generation, move.from_generation),
      env.DB.prepare(
        `UPDATE ${TABLE.shard_moves} SET phase = 'drain', cursors = ?2, switched_at = ?3
          WHERE site = ?1 AND phase = 'copy' AND to_generation = ?4
            AND EXISTS (SELECT 1 FROM ${TABLE.sites} WHERE id = ?1 AND shard_generation = ?4)`,
      ).bind(id, JSON.stringify(cursors), now, move.to_generation),
    ]);
    forgetSite(id);
    // Retired at once: a request still holding the old layout is refused there and goes to the new shards
    // (storeOrQueue), so nothing is stored where the drain has passed.
    for (const shard of old) await shard.retire();
    return finishStep(env.DB, id);
  }

  // drain
  for (let k = 0; k < old.length; k++) {
    if (cursors[k] === 1) continue;
    const shard = old[k]!;
    await shard.retire();
    for (;;) {
      if (pagesLeft <= 0) return finishStep(env.DB, id);
      const page = await shard.movePage(id, 0, pageEvents);
      if (page.last === null) break;
      await copy(page);
      await shard.dropMoved(id, page.last);
      await save();
    }
    await handOver(env, id, shard, fresh[0]!, `${move.from_generation}/${k}`);
    await shard.wipe();
    cursors[k] = 1;
    await save();
  }
  await save('done', `, finished_at = ${Date.now()}`);
  return finishStep(env.DB, id);
}

/** Counts the step and answers the move's state. */
async function finishStep(db: D1Database, id: string): Promise<MoveState | null> {
  await db.prepare(`UPDATE ${TABLE.shard_moves} SET steps = steps + 1 WHERE site = ?`).bind(id).run();
  const move = await readMove(db, id);
  return move && moveState(move);
}

/**
 * An emptied shard's counters go to the first new shard (which keeps the counters of no visitor), once; the cart
 * deliveries it still owes go to D1 under their usual ids (writing them twice writes one), a page at a time, each page
 * acked there once written, until none is left: the shard is wiped next.
 */
async function handOver(env: Pick<Env, 'DB'>, site: string, shard: Shard, first: Shard, name: string) {
  const { days, owed } = await shard.handOver(site);
  await first.takeCounts(site, name, days);
  for (let page = owed; page.length; page = (await shard.handOver(site)).owed) {
    await writeOwed(env.DB, site, page);
    await shard.ackCarts(
      site,
      page.map((o) => o.key),
    );
  }
}

/** The schedule's job: a step of every move under way, one site's failure not stopping the others. */
export async function runMoves(env: Pick<Env, 'DB' | 'SHARDS' | 'STORAGE'>): Promise<void> {
  const { results } = await env.DB.prepare(`SELECT site FROM ${TABLE.shard_moves} WHERE phase != 'done'`).all<{
    site: string;
  }>();
  for (const { site } of results) {
    try {
      const state = await moveStep(env, site);
      console.log(`move ${site}: ${state?.phase}, ${state?.copied} events copied`);
    } catch (error) {
      console.error(`move ${site}: step failed, resumed next run`, error);
    }
  }
}

/**
 * During a move an erasure must reach both generations: after erasing where the site's rows were (`erasedIn`, read
 * before), the move is read again and every other generation it names erased too (the new one only, when the move
 * ended meanwhile). Read after the first erasure, so a move starting meanwhile copies nothing of the visitor; a page of
 * theirs read before and stored after is dropped by the new shard, which now remembers the erasure. Answers the most
 * events erased in one generation (each holds copies of the same events).
 */
export async function eraseInMove(
  env: Pick<Env, 'DB' | 'SHARDS' | 'STORAGE'>,
  erasedIn: StoredSite,
  visitor: string,
): Promise<number> {
  const move = await readMove(env.DB, erasedIn.id);
  if (!sharded(env) || !move) return 0;
  const from: StoredSite = { id: erasedIn.id, shards: move.from_shards, generation: move.from_generation };
  const to: StoredSite = { id: erasedIn.id, shards: move.to_shards, generation: move.to_generation };
  const moving = move.phase !== 'done';
  // A finished move whose new generation the erasure already used: nothing else holds the visitor.
  if (!moving && erasedIn.generation !== move.from_generation) return 0;
  const others = (moving ? [from, to] : [to]).filter((g) => g.generation !== erasedIn.generation);
  let erased = 0;
  for (const other of others) erased = Math.max(erased, await siteStorage(env, other).erase(erasedIn.id, visitor, []));
  return erased;
}
