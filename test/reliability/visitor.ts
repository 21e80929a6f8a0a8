// A reliability visitor in any engine: a fresh profile, and what its pages recorded (the harness's recorder, put in every
// test page by the static server): every event id the script announced and every error thrown into a page.
import { newVisitor, pageErrors, recordedEvents, type Engine, type Visitor } from '../harness/browser.ts';

export type { Visitor };

/** Opens a new visitor in `engine`, on a fresh profile. */
export const openVisitor = (engine: Engine): Promise<Visitor> => newVisitor(engine);

/** Ids of every event the script queued in the visitor's documents on `origin`, and every error thrown in them. */
export async function readRecords(
  v: Visitor,
  origin: string,
): Promise<{ ids: string[]; events: Array<Record<string, unknown>>; errors: string[] }> {
  const events = await recordedEvents(v, origin);
  return { ids: events.map((e) => e.id as string), events, errors: await pageErrors(v, origin) };
}
