// Daily salts of the cookieless mode: one random salt per UTC day, older ones deleted.
import { TABLE } from './schema.ts';

/** The salt of `day` (YYYY-MM-DD), made on first use; salts of earlier days are deleted then. */
export async function dailySalt(db: D1Database, day: string): Promise<string> {
  const today = await db
    .prepare(`SELECT salt FROM ${TABLE.daily_salts} WHERE day = ?`)
    .bind(day)
    .first<{ salt: string }>();
  if (today) return today.salt;
  const fresh = [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, '0')).join('');
  // Two isolates may race at midnight: the first insert wins and both read it back.
  const [, , row] = await db.batch([
    db
      .prepare(`INSERT INTO ${TABLE.daily_salts} (day, salt) VALUES (?, ?) ON CONFLICT (day) DO NOTHING`)
      .bind(day, fresh),
    db.prepare(`DELETE FROM ${TABLE.daily_salts} WHERE day < ?`).bind(day),
    db.prepare(`SELECT salt FROM ${TABLE.daily_salts} WHERE day = ?`).bind(day),
  ]);
  return (row!.results[0] as { salt: string }).salt;
}
