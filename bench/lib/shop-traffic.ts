// The benches' traffic: the shared synthetic-traffic model (`@parcours/traffic`) over a large shop, as one stream of wire events.
import type { WireEvent } from '@parcours/protocol';
import { createCatalogue, type Journey, journeys } from '@parcours/traffic';

/** 300 products and 80 blog posts: as many distinct pages as the reports of a real shop group by. */
const CATALOGUE = createCatalogue({ products: 300, posts: 80 });

/**
 * Seeded shop visitors whose first visits spread over the 30 days before `now` (blog → products → cart → checkout,
 * forms, purchases, returning customers), each with their browser and events in time order, until `total` events.
 */
export function shopJourneys(total: number, seed: number, now: number): Generator<Journey> {
  return journeys({ events: total, seed, now, catalogue: CATALOGUE });
}

/** The first `total` events of `shopJourneys`: each visitor's events together, in time order. */
export function* shopEvents(total: number, seed: number, now: number): Generator<WireEvent> {
  for (const j of shopJourneys(total, seed, now)) yield* j.events;
}
