// Builds the tag's IIFE (dist/parcours.js) and the npm ESM (dist/parcours.mjs), both minified.
import resolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import esbuild from 'rollup-plugin-esbuild';

const plugins = () => [
  resolve({ extensions: ['.ts', '.js'] }),
  esbuild({ target: 'es2020' }),
  terser({
    ecma: 2020,
    toplevel: true,
    compress: { passes: 3, unsafe_arrows: true, pure_getters: true },
  }),
];

export default [
  { input: 'src/tag.ts', output: { file: 'dist/parcours.js', format: 'iife', strict: false }, plugins: plugins() },
  { input: 'src/index.ts', output: { file: 'dist/parcours.mjs', format: 'es' }, plugins: plugins() },
];
