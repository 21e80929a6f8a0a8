// Entry of `pnpm bench` (full run, writes RESULTS.md) and of CI's `pnpm --filter @parcours/bench run smoke` (`--smoke`).
// The benchmarks are TypeScript, run as is by Node 24 (type stripping); see README.md for the options.
import { main } from './lib/run-all.ts';

process.exitCode = await main(process.argv.slice(2));
