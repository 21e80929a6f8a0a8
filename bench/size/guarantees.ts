// What the core's bytes buy: the core and full tag rebuilt with their parts taken out one after another, from the
// delivery guarantees beyond the contract down to the contract's own features. Each part is taken out of a copy of the
// SDK's source by a text edit, and the copy built with the SDK's own rollup configuration; an edit that no longer
// matches the source fails the bench, so the figures never describe code that is gone.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const SDK = fileURLToPath(new URL('../../packages/sdk/', import.meta.url));

/** One text edit of the SDK's source: `find` must occur exactly once in `file` (under src/). */
type Edit = [file: string, find: string, replace: string];

interface Part {
  name: string;
  /** `guarantee`: ours, beyond the contract; `mission`: what "nothing lost … when a tab closes" and "true in every
   * engine" need; `contract`: a feature docs/PROTOCOL.md names. */
  kind: 'guarantee' | 'mission' | 'contract';
  edits: Edit[];
}

/** Taken out in this order, each with every part above it. */
export const PARTS: Part[] = [
  {
    name: 'the send lock (one tab sends at a time) and letting go of it on pagehide',
    kind: 'guarantee',
    edits: [
      [
        'sender.ts',
        "(navigator.locks ? underLock().catch((e) => e.name != 'AbortError' && drain()) : drain())",
        'drain()',
      ],
      ['sender.ts', 'export const hidden = (): void => letGo();', 'export const hidden = (): void => {};'],
    ],
  },
  {
    name: 'the `parcours:event` hook',
    kind: 'guarantee',
    edits: [['tracker.ts', "dispatchEvent(new CustomEvent('parcours:event', { detail: event }));", '']],
  },
  {
    name: "a page's events at least 1 ms apart (ties ordered)",
    kind: 'guarantee',
    edits: [['tracker.ts', 'const now = (lastTs = Math.max(Date.now(), lastTs + 1));', 'const now = Date.now();']],
  },
  {
    name: "a 429's Retry-After waited out",
    kind: 'guarantee',
    edits: [['sender.ts', 'schedule(retryAfter(reply) || backoff(fails++));', 'schedule(backoff(fails++));']],
  },
  {
    name: 'the count of dropped events (`dropped`)',
    kind: 'guarantee',
    edits: [
      ['outbox.ts', 'function lostBy(n: number): number {', 'function lostBy(n: number): number {\n  return 0;'],
      ['outbox.ts', "store(DROPPED_KEY, '0');", ''],
    ],
  },
  {
    name: "the closing tab's localStorage copy (events queued as a tab closes offline)",
    kind: 'mission',
    edits: [
      [
        'outbox.ts',
        'export const save = (l: WireEvent[]): void => void ',
        'export const save = (l: WireEvent[]): void => void 0 && ',
      ],
      ['outbox.ts', 'export function restore(): void {', 'export function restore(): void {\n  return;'],
    ],
  },
  {
    name: "IndexedDB's deadline, pause on pagehide and reopen (WebKit's back/forward cache, lost connections)",
    kind: 'mission',
    edits: [
      [
        'idb.ts',
        'export const tx = <T = void>(',
        `export const tx = <T = void>(f: (s: IDBObjectStore) => IDBRequest<T> | IDBRequest[]): Promise<T | undefined> =>
  use('readwrite', (store) => new Promise<T>((ok) => {
    const r = f(store);
    store.transaction.oncomplete = () => ok((r as IDBRequest<T>).result);
  })).catch(() => undefined);
const robust = <T = void>(`,
      ],
      [
        'idb.ts',
        'export function pause(hidden: boolean): void {',
        'export function pause(hidden: boolean): void {\n  return;',
      ],
    ],
  },
  {
    name: '`page_leave` (visible time, scroll depth)',
    kind: 'contract',
    edits: [['lifecycle.ts', "emit('page_leave', {", "if (0) emit('page_leave', {"]],
  },
  {
    name: 'URL stage rules (rule 4)',
    kind: 'contract',
    edits: [['stage-rules.ts', 'for (const glob in rules) found ||=', 'if (0) for (const glob in rules) found ||=']],
  },
  {
    name: '`click_id` (paid channels)',
    kind: 'contract',
    edits: [['lifecycle.ts', 'click_id: clickId(location.search)', 'click_id: undefined']],
  },
  {
    name: 'Do Not Track and Global Privacy Control',
    kind: 'contract',
    edits: [['privacy.ts', "(config.respectDnt != 'off' && optedOut()) ||", '']],
  },
  {
    name: 'the `<meta name="parcours:stage">` declaration (rule 3)',
    kind: 'contract',
    edits: [
      [
        'tracker.ts',
        `declaredStage || document.querySelector<HTMLMetaElement>('meta[name="parcours:stage"]')?.content`,
        'declaredStage',
      ],
    ],
  },
];

interface RollupConfig {
  output: { file: string; format: string; strict?: boolean };
  plugins: unknown[];
}
type Rollup = (options: { input: string; plugins: unknown[] }) => Promise<{
  generate(output: { format: string; strict?: boolean }): Promise<{ output: [{ code: string }] }>;
  close(): Promise<void>;
}>;

export interface CostRow {
  /** The part taken out in this step (with every one above it); null for the tag as built. */
  part: string | null;
  kind?: Part['kind'];
  core: number;
  full: number;
}

/** Applies `edits` to the copy of src/ at `src`; throws when one does not match exactly once. */
function apply(src: string, part: Part): void {
  for (const [file, find, replace] of part.edits) {
    const path = join(src, file);
    const text = readFileSync(path, 'utf8');
    const at = text.indexOf(find);
    if (at < 0 || text.indexOf(find, at + 1) >= 0)
      throw new Error(
        `bench/size/guarantees.ts: "${part.name}" no longer matches src/${file} once (${JSON.stringify(find)}): update its edit`,
      );
    writeFileSync(path, text.slice(0, at) + replace + text.slice(at + find.length));
  }
}

/** gzip -9 bytes of the core and the full tag built from the source at `src` with the SDK's own build settings. */
async function build(src: string): Promise<{ core: number; full: number }> {
  const sdkRequire = createRequire(join(SDK, 'package.json'));
  // Rollup is the SDK's dependency, not the bench's: loaded from the SDK's node_modules, typed as far as used here.
  const { rollup } = (await import(pathToFileURL(sdkRequire.resolve('rollup')).href)) as { rollup: Rollup };
  const configs = (await import(pathToFileURL(join(SDK, 'rollup.config.mjs')).href)).default as RollupConfig[];
  const gzipOf = async (file: string) => {
    const config = configs.find((c) => c.output.file === `dist/${file}`);
    if (!config) throw new Error(`rollup.config.mjs builds no dist/${file}`);
    const bundle = await rollup({ input: join(src, 'tag.ts'), plugins: config.plugins });
    const { output } = await bundle.generate({ format: config.output.format, strict: config.output.strict });
    await bundle.close();
    return gzipSync(output[0].code, { level: 9 }).length;
  };
  return { core: await gzipOf('parcours.core.js'), full: await gzipOf('parcours.js') };
}

/** The tag as built, then with each of PARTS taken out in turn (cumulatively). */
export async function runCostBench(log: (s: string) => void): Promise<CostRow[]> {
  // Inside the SDK package, so that its imports (idb-keyval, @parcours/protocol types) resolve as they do in src/.
  const dir = mkdtempSync(join(SDK, '.cost-'));
  try {
    const src = join(dir, 'src');
    cpSync(join(SDK, 'src'), src, { recursive: true, filter: (p) => !p.endsWith('.test.ts') });
    const rows: CostRow[] = [{ part: null, ...(await build(src)) }];
    log(`cost: as built, core ${rows[0]!.core} B, full ${rows[0]!.full} B gzip`);
    for (const part of PARTS) {
      apply(src, part);
      rows.push({ part: part.name, kind: part.kind, ...(await build(src)) });
      log(`cost: without ${part.name}: core ${rows.at(-1)!.core} B, full ${rows.at(-1)!.full} B gzip`);
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
