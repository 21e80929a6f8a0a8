// Unit tests of the script's logic: happy-dom for the page, fake-indexeddb for the outbox's database; every feature on.
import { defineConfig } from 'vitest/config';
import { defines, FEATURES } from './variants.mjs';

export default defineConfig({
  define: defines(FEATURES),
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['./src/test-setup.ts'],
  },
});
