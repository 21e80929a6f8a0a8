// Types of collector-process.mjs, for the TypeScript test harness.
export declare const ROOT: string;
export declare const COLLECTOR_DIR: string;
/** A folder as `pnpm dev` prints it: relative to the repository when inside it, else in full. */
export declare function shownPath(dir: string): string;
export interface StartOptions {
  /** Port to listen on; default a free one. */
  port?: number;
  /** Local D1 directory; default a fresh temp dir removed on stop. */
  persistDir?: string;
  /** Admin token passed as the `ADMIN_TOKEN` var; default random. */
  adminToken?: string;
  /** Build the SDK bundle (if missing) and the collector assets first; default true. */
  build?: boolean;
  /** How long to wait for `/v1/health`; default 90 000 ms. */
  timeoutMs?: number;
  /** Receives each line wrangler prints. */
  log?: (line: string) => void;
  /** The collector's INGEST var (how `POST /v1/events` stores); default the env's PARCOURS_INGEST, else wrangler.jsonc's. */
  ingest?: 'direct' | 'queue';
  /** More collector vars (`--var NAME:VALUE`), e.g. the fault-injection switches of docs/PROTOCOL.md; default none. */
  vars?: Record<string, string>;
}
export interface RunningCollector {
  url: string;
  port: number;
  /** The worker's DevTools inspector (CPU profiles of the worker: bench/ingest). */
  inspectorPort: number;
  adminToken: string;
  persistDir: string;
  stop(): Promise<void>;
}
export interface SiteConfig {
  id: string;
  origins: string[];
  stages?: string[];
  bot_filter?: boolean;
  quota?: { events_per_day?: number; bytes_per_day?: number; events_per_visitor_per_day?: number };
}
/** Quotas as high as the admin API allows: for benchmarks and tests that send more than a real site's day. */
export declare const UNLIMITED_QUOTA: {
  events_per_day: number;
  bytes_per_day: number;
  events_per_visitor_per_day: number;
};
export declare function freePort(): Promise<number>;
export declare function buildAssets(opts?: { rebuildSdk?: boolean }): void;
export declare function migrate(persistDir: string): void;
export declare function startCollector(opts?: StartOptions): Promise<RunningCollector>;
export declare function registerSite(url: string, adminToken: string, site: SiteConfig): Promise<string | undefined>;
/** A survey as the admin API takes it (docs/PROTOCOL.md "Satisfaction"). */
export interface SurveyConfig {
  id: string;
  kind: 'nps' | 'csat' | 'ces';
  question: Record<string, string>;
  trigger?: { stage?: string; path?: string; after?: string; delay_s?: number };
  sample_rate: number;
  cooldown_days: number;
}
export declare const SHOP_SURVEYS: SurveyConfig[];
export declare function addSurvey(url: string, adminToken: string, siteId: string, survey: SurveyConfig): Promise<void>;
export declare function rotateToken(url: string, adminToken: string, siteId: string): Promise<string>;
export declare function rotateIngestKey(url: string, adminToken: string, siteId: string): Promise<string>;
/** Makes sure the site has a webhook to `inboxUrl` for every event type; `known` (an earlier run's) is kept when still there. */
export declare function ensureWebhook(
  url: string,
  adminToken: string,
  siteId: string,
  inboxUrl: string,
  known?: { id: string; secret: string },
): Promise<{ id: string; secret: string }>;
