// A D1Database over a Durable Object's own SQLite (`ctx.storage.sql`): the collector's store, derive and report code
// runs unchanged in a site shard. Statements run synchronously; batch() runs its statements in one transaction
// (`transactionSync`), all or nothing, as D1's does.

/** What a shard's database needs of the Durable Object's storage. */
type ShardStorage = Pick<DurableObjectStorage, 'sql' | 'transactionSync'>;

/** A bound value as SQLite takes it: D1 stores booleans as 0/1 and undefined as NULL, so does this. */
function sqlValue(value: unknown): SqlStorageValue {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value as SqlStorageValue;
}

/** Rows of one statement, and D1's `meta.changes`: the rows an INSERT, UPDATE or DELETE changed. */
interface Ran {
  rows: Record<string, SqlStorageValue>[];
  columns: string[];
  changes: number;
}

class ShardStatement {
  constructor(
    private readonly storage: ShardStorage,
    private readonly sql: string,
    private readonly values: SqlStorageValue[] = [],
  ) {}

  bind(...values: unknown[]): ShardStatement {
    return new ShardStatement(this.storage, this.sql, values.map(sqlValue));
  }

  /** Runs the statement now (batch() runs several inside one transaction this way). */
  execute(): Ran {
    const cursor = this.storage.sql.exec(this.sql, ...this.values);
    const rows = cursor.toArray();
    // A statement that wrote nothing changed nothing; one that wrote asks SQLite how many rows it changed (rowsWritten
    // also counts index entries).
    const changes = cursor.rowsWritten ? Number(this.storage.sql.exec('SELECT changes() AS n').one().n) : 0;
    return { rows, columns: cursor.columnNames, changes };
  }

  async first<T>(column?: string): Promise<T | null> {
    const row = this.execute().rows[0] ?? null;
    if (row === null) return null;
    return (column === undefined ? row : row[column]) as T;
  }

  async all<T>(): Promise<D1Result<T>> {
    return result<T>(this.execute());
  }

  async run<T>(): Promise<D1Result<T>> {
    return result<T>(this.execute());
  }

  async raw<T extends unknown[]>(options?: { columnNames?: boolean }): Promise<T[]> {
    const { rows, columns } = this.execute();
    const values = rows.map((row) => columns.map((c) => row[c]) as T);
    return options?.columnNames ? [columns as T, ...values] : values;
  }
}

function result<T>({ rows, changes }: Ran): D1Result<T> {
  return {
    results: rows as T[],
    success: true,
    meta: {
      changes,
      duration: 0,
      last_row_id: 0,
      changed_db: changes > 0,
      size_after: 0,
      rows_read: 0,
      rows_written: changes,
    },
  };
}

/** The shard's SQLite as a D1Database (prepare/bind/first/all/raw/run, batch as one transaction, exec). */
export function shardDatabase(storage: ShardStorage): D1Database {
  const db = {
    prepare: (sql: string) => new ShardStatement(storage, sql),
    batch: async <T>(statements: ShardStatement[]): Promise<D1Result<T>[]> =>
      storage.transactionSync(() => statements.map((s) => result<T>(s.execute()))),
    exec: async (sql: string): Promise<D1ExecResult> => {
      storage.sql.exec(sql);
      return { count: 1, duration: 0 };
    },
    withSession: () => db,
    dump: () => Promise.reject(new Error('dump: not available in a shard')),
  };
  // The shape the collector's code calls, not the D1 class itself (its statements are this module's).
  return db as unknown as D1Database;
}
