// Synthetic shop traffic for the demo seed, the tests and the benches: one seeded model, typed as the wire events it posts.
export { type Catalogue, createCatalogue, type Product, SHOP_CATALOGUE } from './catalogue.ts';
export { generateJourneys, type Journey, journeys, type TrafficOptions } from './journeys.ts';
export { createRandom } from './random.ts';
export { type PostOptions, type PostTotals, postJourneys, seedSite } from './post.ts';
