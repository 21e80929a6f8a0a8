// Types of chromium.mjs, for the TypeScript tests and benchmarks.
export declare const CHROMIUM_PATH: string;
export declare const CHROMIUM_ARGS: string[];
export declare const VISITOR_UA: string;
