// Seeds a site with the example shop's deterministic synthetic history (`@parcours/traffic`), posted through the real `POST /v1/events`.
// Usage: `pnpm exec node scripts/seed.mjs --url http://127.0.0.1:8787 --site demo --origin http://127.0.0.1:8788 [--visitors 3000] [--seed 42]`
import { seedSite } from '@parcours/traffic';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const started = Date.now();
const totals = await seedSite({
  url: arg('url', 'http://127.0.0.1:8787'),
  site: arg('site', 'demo'),
  origin: arg('origin', 'http://127.0.0.1:8788'),
  visitors: Number(arg('visitors', '3000')),
  seed: Number(arg('seed', '42')),
});
console.log(
  `seeded ${totals.visitors} visitors, ${totals.accepted} events stored (${totals.duplicates} already there, ${totals.rejected} rejected, ${totals.filtered} filtered as bots) in ${totals.batches} batches, ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
