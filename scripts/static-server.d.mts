// Types of static-server.mjs, for the TypeScript test harness.
export interface StaticServerOptions {
  dir: string;
  port?: number;
  collector: string;
  site?: string;
  spa?: boolean;
  assets?: string;
  /** HTML put first in every page's `<head>`. */
  head?: string;
}
export interface RunningStaticServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}
export declare function startStaticServer(opts: StaticServerOptions): Promise<RunningStaticServer>;
