// Guards: a statement of a D1 batch that fails the whole batch (its one transaction) when a condition no longer holds,
// with an error that names the condition (a CHECK of the guard_failures table, migrations/0001_schema.sql), so the caller tells
// it apart from any other failure and knows what to do: derive again, read the quota or the erasures again.
import { TABLE } from './schema.ts';

/** The conditions a guard checks, each a column of guard_failures whose CHECK carries its name. */
export type Guard = 'visitor_state_changed' | 'quota_race' | 'erased_since_read';

/** A statement that fails its batch with the error of `name` when the SQL `failsWhen` (over `params`) is true. */
export function guardStatement(db: D1Database, name: Guard, failsWhen: string, params: unknown[]): D1PreparedStatement {
  return db.prepare(`INSERT INTO ${TABLE.guard_failures} (${name}) SELECT 1 WHERE ${failsWhen}`).bind(...params);
}

/** Whether `error` is the failure of the guard `name` (and no other error). */
export function guardFailed(error: unknown, name: Guard): boolean {
  const message = String((error as Error | undefined)?.message ?? error);
  return message.includes(`CHECK constraint failed: ${name}`);
}
