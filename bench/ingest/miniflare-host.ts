// The collector served by Miniflare alone: the engine `wrangler dev` runs (workerd, local D1, Queues, Durable Objects),
// the same worker bundle a deploy uploads, without wrangler's proxy worker in a second workerd and its extra HTTP hop.
// Run as its own process by miniflare-collector.ts (so that its CPU, and its workerd's, can be read from /proc):
//   node ingest/miniflare-host.ts [--collector=DIR] --bundle=FILE --persist=DIR --port=N --vars=JSON [--inspector=PORT]
// Prints one line `ready <url>` once it answers.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split(/=(.*)/s) as [string, string]));
/** The collector package whose wrangler.jsonc the bundle goes with (default this checkout's). */
const COLLECTOR = args.get('collector') ?? fileURLToPath(new URL('../../packages/collector/', import.meta.url));
const bundle = args.get('bundle');
const persist = args.get('persist');
const port = Number(args.get('port'));
if (!bundle || !persist || !port) throw new Error('--bundle=FILE --persist=DIR --port=N are needed');
/** The DevTools inspector's port (CPU profiles of the worker, worker-profile.ts); none when absent. */
const inspectorPort = args.has('inspector') ? Number(args.get('inspector')) : undefined;
const vars = JSON.parse(args.get('vars') ?? '{}') as Record<string, string>;

// Miniflare as wrangler itself depends on it (no second copy, no other version): resolved from wrangler's package.
const fromCollector = createRequire(join(COLLECTOR, 'package.json'));
const wrangler = fromCollector('wrangler') as {
  unstable_getMiniflareWorkerOptions(configPath: string): { workerOptions: Record<string, unknown> };
};
const { Miniflare, convertV4MiniflareOptions } = createRequire(fromCollector.resolve('wrangler'))('miniflare') as {
  Miniflare: new (options: unknown) => { ready: Promise<URL>; dispose(): Promise<void> };
  /** Wrangler builds its options in this (flat, per worker) shape and converts them the same way. */
  convertV4MiniflareOptions(options: Record<string, unknown>): unknown;
};

// Bindings, queues and their consumers, Durable Objects, rate limits and assets exactly as wrangler.jsonc declares them.
// Its module rules are left out: the bundle is one ES module, given as such.
const { modulesRules: _rules, ...workerOptions } = wrangler.unstable_getMiniflareWorkerOptions(
  join(COLLECTOR, 'wrangler.jsonc'),
).workerOptions;
const mf = new Miniflare(
  convertV4MiniflareOptions({
    host: '127.0.0.1',
    port,
    inspectorPort,
    // The layout `wrangler dev --persist-to DIR` and `wrangler d1 migrations apply --persist-to DIR` use.
    resourcePersistencePath: join(persist, 'v3'),
    // `GET /cdn-cgi/handler/scheduled` runs the schedule, as `wrangler dev --test-scheduled` does at `/__scheduled`.
    unsafeTriggerHandlers: true,
    workers: [
      {
        ...workerOptions,
        name: 'parcours-collector',
        // Module names are paths below the root: the bundle's own directory.
        rootPath: dirname(bundle),
        modules: [{ type: 'ESModule', path: bundle }],
        bindings: { ...(workerOptions.bindings as Record<string, string>), ...vars },
      },
    ],
  }),
);
const url = await mf.ready;
console.log(`ready ${url.origin}`);
const stop = () => mf.dispose().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
