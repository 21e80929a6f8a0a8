// Serves an example site from a directory on its own origin, filling `{{COLLECTOR}}` and `{{SITE}}` in at serve time.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};
// Only text files carry placeholders; images go out byte for byte.
const TEMPLATED = new Set(['.html', '.js', '.mjs', '.css']);

/**
 * Starts a static server for `dir` on 127.0.0.1.
 * Options: `port` (default a free one), `collector` (replaces `{{COLLECTOR}}`), `site` (replaces `{{SITE}}`, default `demo`),
 * `spa` (default false: unknown paths without an extension answer `index.html`, as history routing needs),
 * `assets` (a second directory where files with an extension are looked up when `dir` lacks them: the SPA reuses the shop's CSS, images and store),
 * `head` (HTML put first in every page's `<head>`, before any of its scripts: the tests' event recorder).
 * Clean URLs: `/blog/x` serves `blog/x.html` or `blog/x/index.html`.
 * @returns {Promise<{ url: string, port: number, stop(): Promise<void> }>}
 */
export function startStaticServer({ dir, port = 0, collector, site = 'demo', spa = false, assets, head = '' }) {
  const root = normalize(dir);
  const fallback = assets ? normalize(assets) : undefined;
  const fill = (text) => text.replaceAll('{{COLLECTOR}}', collector).replaceAll('{{SITE}}', site);
  const withHead = (html) => (head ? html.replace(/<head>/i, (tag) => tag + head) : html);

  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const file =
        (await resolve(root, path, spa)) ??
        (fallback && extname(path) ? await resolve(fallback, path, false) : undefined);
      if (!file) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      const ext = extname(file);
      const text = TEMPLATED.has(ext) ? fill(await readFile(file, 'utf8')) : undefined;
      const body = text === undefined ? await readFile(file) : ext === '.html' ? withHead(text) : text;
      // no-cache: every test and every `pnpm dev` edit sees the files as they are now (revalidated on each load), and,
      // unlike no-store, the pages stay eligible for the back/forward cache, as a real shop's pages are.
      res.writeHead(200, { 'content-type': TYPES[ext] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
    }
  });

  return new Promise((ok, fail) => {
    server.on('error', fail);
    server.listen(port, '127.0.0.1', () => {
      const actual = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
      ok({
        url: `http://127.0.0.1:${actual}`,
        port: actual,
        stop: () =>
          new Promise((done) => {
            server.close(() => done(undefined));
            server.closeAllConnections();
          }),
      });
    });
  });
}

async function resolve(root, path, spa) {
  const target = normalize(join(root, path));
  if (target !== root && !target.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  for (const candidate of [target, `${target}.html`, join(target, 'index.html')]) {
    if (await isFile(candidate)) return candidate;
  }
  if (spa && !extname(path)) return join(root, 'index.html');
  return undefined;
}

async function isFile(p) {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}
