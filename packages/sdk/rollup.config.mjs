// Builds every variant of the tag (IIFE, dist/parcours*.js, see variants.mjs) and the npm ESM (dist/parcours.mjs, every
// feature) and the survey module (dist/parcours-survey.js), all minified. A variant is the same source with its missing features' FEATURE_* constants set to false.
import resolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import esbuild from 'rollup-plugin-esbuild';
import { defines, FEATURES, SURVEY_MODULE, VARIANTS } from './variants.mjs';

const plugins = (features) => [
  resolve({ extensions: ['.ts', '.js'] }),
  esbuild({ target: 'es2020', define: defines(features), minifySyntax: true }),
  terser({
    ecma: 2020,
    toplevel: true,
    compress: { passes: 3, unsafe_arrows: true, pure_getters: true },
  }),
];

export default [
  ...VARIANTS.map(({ file, features }) => ({
    input: 'src/tag.ts',
    output: { file: `dist/${file}`, format: 'iife', strict: false },
    plugins: plugins(features),
  })),
  { input: 'src/index.ts', output: { file: 'dist/parcours.mjs', format: 'es' }, plugins: plugins(FEATURES) },
  // The survey module, loaded by the survey variants only when a survey is due (src/surveys.ts).
  {
    input: 'src/survey-ask.ts',
    output: { file: `dist/${SURVEY_MODULE}`, format: 'iife', strict: false },
    plugins: plugins(FEATURES),
  },
];
