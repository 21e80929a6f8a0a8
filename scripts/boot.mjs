// Runs a workspace script on a machine that has only Node and npm: installs pnpm and the workspace, then hands over.
// `npm run dev` / `npm test` (any Node >= 18) end up as `pnpm run <task>` under the pinned Node 24.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PNPM = 'pnpm@12.21.0';
const root = fileURLToPath(new URL('..', import.meta.url));
const [task, ...rest] = process.argv.slice(2);

function pnpm(args) {
  const r = spawnSync('npx', ['-y', PNPM, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const marker = `${root}/node_modules/.modules.yaml`;
const stale = !existsSync(marker) || statSync(`${root}/pnpm-lock.yaml`).mtimeMs > statSync(marker).mtimeMs;
if (stale) pnpm(['install', '--frozen-lockfile']);
pnpm(['run', task, ...rest]);
