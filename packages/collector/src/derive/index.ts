// Derived data: rebuilds what reports read (stage transitions, ...) for the visitors a batch touched.
import type { Site } from '../db/sites.ts';

/**
 * Recomputes the derived rows of these visitors from all their stored events, so the result
 * is the same whatever order their events arrived in. Called by ingestion after each insert.
 * STUB: filled in by the derive/reports work.
 */
export async function deriveVisitors(_db: D1Database, _site: Site, _visitors: string[]): Promise<void> {}
