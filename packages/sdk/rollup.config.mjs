// Builds the tag's IIFE (dist/parcours.js) and the npm ESM (dist/parcours.mjs), both minified.
import resolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import esbuild from 'rollup-plugin-esbuild';

/**
 * Internal property names the tag's build shortens: none is a DOM, built-in, wire or public-option
 * name (those must survive), so renaming them is safe and saves bytes on every use.
 */
const INTERNAL = /^(dropped|live|soon|online|emit|newPage|explicit|customer|outbox|retryAfter|ids|maxAge|stop|beacon|flush|run|page|url|all|remove)$/;

const plugins = (mangleProps) => [
  resolve({ extensions: ['.ts', '.js'] }),
  esbuild({ target: 'es2020' }),
  terser({
    ecma: 2020,
    toplevel: true,
    compress: { passes: 3, unsafe_arrows: true, pure_getters: true },
    mangle: mangleProps ? { properties: { regex: INTERNAL } } : true,
  }),
];

export default [
  { input: 'src/tag.ts', output: { file: 'dist/parcours.js', format: 'iife', strict: false }, plugins: plugins(true) },
  { input: 'src/index.ts', output: { file: 'dist/parcours.mjs', format: 'es' }, plugins: plugins(false) },
];
