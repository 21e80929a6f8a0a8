import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { withLeadingStatements } from './leading-statements.ts';

const db = env.DB;
const put = (k: string, v: number) => db.prepare('INSERT INTO lead_test (k, v) VALUES (?, ?)').bind(k, v);
const stored = async (k: string) =>
  (await db.prepare('SELECT v FROM lead_test WHERE k = ?').bind(k).first<{ v: number }>())?.v ?? null;
const key = () => crypto.randomUUID();

beforeAll(async () => {
  await db.prepare('CREATE TABLE lead_test (k TEXT PRIMARY KEY, v INTEGER NOT NULL)').run();
});

describe('a D1 handle with leading statements', () => {
  it('runs the queued statements in front of the first query, which sees what they wrote', async () => {
    const k = key();
    const carried = withLeadingStatements(db, [put(k, 7)]);
    expect(await carried.db.prepare('SELECT v FROM lead_test WHERE k = ?').bind(k).first('v')).toBe(7);
    const [result] = await carried.results();
    expect(result!.meta.changes).toBe(1);
  });

  it('runs them in the same transaction: when the query fails, nothing they wrote is kept', async () => {
    const k = key();
    const carried = withLeadingStatements(db, [put(k, 1)]);
    await expect(carried.db.prepare('SELECT * FROM no_such_table').all()).rejects.toThrow();
    await expect(carried.results()).rejects.toThrow();
    expect(await stored(k)).toBeNull();
  });

  it("answers a carried batch with its own statements' results only, in order", async () => {
    const [a, b] = [key(), key()];
    const carried = withLeadingStatements(db, [put(a, 1), put(b, 2)]);
    const results = await carried.db.batch<{ v: number }>([
      carried.db.prepare('SELECT v FROM lead_test WHERE k = ?').bind(b),
      db.prepare('SELECT count(*) AS v FROM lead_test WHERE k IN (?, ?)').bind(a, b),
    ]);
    expect(results.map((r) => r.results[0]!.v)).toEqual([2, 2]);
    expect((await carried.results()).length).toBe(2);
  });

  it('sends later calls straight to the database, and runs the queue alone when nothing carried it', async () => {
    const [a, b] = [key(), key()];
    const carried = withLeadingStatements(db, [put(a, 1)]);
    await carried.db.prepare('SELECT 1').all();
    expect((await carried.db.prepare('INSERT INTO lead_test (k, v) VALUES (?, 5)').bind(b).run()).meta.changes).toBe(1);
    expect((await carried.results()).map((r) => r.meta.changes)).toEqual([1]);

    const idle = key();
    const untouched = withLeadingStatements(db, [put(idle, 3)]);
    expect(await stored(idle)).toBeNull();
    expect((await untouched.results())[0]!.meta.changes).toBe(1);
    expect(await stored(idle)).toBe(3);
  });

  it('answers first() and raw() as D1 does: null for no row, an error for a missing column, arrays of values', async () => {
    const k = key();
    const none = withLeadingStatements(db, [put(k, 4)]);
    expect(await none.db.prepare('SELECT v FROM lead_test WHERE k = ?').bind('absent').first()).toBeNull();
    const missing = withLeadingStatements(db, [put(key(), 4)]);
    await expect(missing.db.prepare('SELECT v FROM lead_test WHERE k = ?').bind(k).first('nope')).rejects.toThrow(
      /D1_COLUMN_NOTFOUND/,
    );
    const raw = withLeadingStatements(db, [put(key(), 9)]);
    expect(await raw.db.prepare('SELECT v FROM lead_test WHERE k = ?').bind(k).raw()).toEqual([[4]]);
  });
});
