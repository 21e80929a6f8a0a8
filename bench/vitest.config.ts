// Unit tests of the benchmark helpers (the benchmarks themselves run through run.mjs, never as timed tests).
import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { include: ['{lib,size,browser,ingest}/**/*.test.ts'], testTimeout: 30_000 } });
