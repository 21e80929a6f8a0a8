// A D1 handle whose first call also runs statements queued in front of it: two steps in one transaction and one round trip.

export interface LeadingStatements {
  /** The handle to pass on: its first query or batch runs the queued statements first, in the same `batch()`. */
  db: D1Database;
  /**
   * The queued statements' results. Runs them alone if no call has carried them yet; rejects with the
   * error of the batch that carried them if it failed (then nothing of that batch was stored).
   */
  results(): Promise<D1Result[]>;
}

type Run = <T>(statements: D1PreparedStatement[]) => Promise<D1Result<T>[]>;

/** A prepared statement of the handle: runs through `run` while statements are queued, straight on D1 after. */
class CarriedStatement {
  constructor(
    private readonly inner: D1PreparedStatement,
    private readonly carry: () => Run | null,
    private readonly flush: () => Promise<unknown>,
  ) {}

  /** The D1 statement itself, for a batch. */
  unwrap(): D1PreparedStatement {
    return this.inner;
  }

  bind(...values: unknown[]): CarriedStatement {
    return new CarriedStatement(this.inner.bind(...values), this.carry, this.flush);
  }

  async all<T>(): Promise<D1Result<T>> {
    const run = this.carry();
    return run ? (await run<T>([this.inner]))[0]! : this.inner.all<T>();
  }

  async run<T>(): Promise<D1Result<T>> {
    const run = this.carry();
    return run ? (await run<T>([this.inner]))[0]! : this.inner.run<T>();
  }

  async first<T>(column?: string): Promise<T | null> {
    const run = this.carry();
    if (!run) return column === undefined ? this.inner.first<T>() : this.inner.first<T>(column);
    const row = (await run<Record<string, unknown>>([this.inner]))[0]!.results[0];
    if (row === undefined) return null;
    if (column === undefined) return row as T;
    // As D1's own first(column) does.
    if (!(column in row)) throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${column})`);
    return row[column] as T;
  }

  // Not carried: its answer's shape is D1's own business. The queued statements run first, alone.
  async raw<T>(options?: { columnNames?: boolean }): Promise<T[]> {
    await this.flush();
    return this.inner.raw<T>(options as { columnNames?: false });
  }
}

/**
 * Queues `leading` in front of the first call made through the returned handle: a query
 * (`all`, `first`, `run`) or a `batch()` then runs as one D1 batch with them, one transaction and
 * one round trip instead of two. Later calls go straight to `db`. Each call gets exactly the
 * results it would have had alone, and sees what the leading statements wrote.
 */
export function withLeadingStatements(db: D1Database, leading: D1PreparedStatement[]): LeadingStatements {
  let queued: D1PreparedStatement[] | null = leading.length ? leading : null;
  let settled: Promise<D1Result[]> = Promise.resolve([]);

  const run: Run = async <T>(statements: D1PreparedStatement[]) => {
    const lead = queued;
    queued = null;
    if (!lead) return statements.length ? db.batch<T>(statements) : [];
    const all = db.batch<T>([...lead, ...statements]);
    settled = all.then((r) => r.slice(0, lead.length) as D1Result[]);
    // Whoever carried them sees the error; `results()` reports it again when asked.
    settled.catch(() => {});
    return (await all).slice(lead.length);
  };
  const carry = () => (queued ? run : null);
  // Runs the queued statements alone if nothing carried them yet; their error stays for `results()`.
  const flush = () => (queued ? run([]) : Promise.resolve([])).catch(() => []);
  const unwrap = (s: D1PreparedStatement) => (s instanceof CarriedStatement ? s.unwrap() : s);

  const handle = {
    prepare: (sql: string) => new CarriedStatement(db.prepare(sql), carry, flush),
    batch: <T>(statements: D1PreparedStatement[]) =>
      queued ? run<T>(statements.map(unwrap)) : db.batch<T>(statements.map(unwrap)),
    exec: async (sql: string) => {
      await flush();
      return db.exec(sql);
    },
    // A session answers synchronously, before the queued statements could run: it would not see them.
    withSession: () => {
      throw new Error('withSession() is not supported on a handle with leading statements');
    },
    dump: () => db.dump(),
  };

  return {
    db: handle as unknown as D1Database,
    results: async () => {
      await flush();
      return settled;
    },
  };
}
