import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // the package's own name, as its exported tests (properties/exported/) and a user's import it: the library API
  resolve: { alias: { 'ioasid-lab': fileURLToPath(new URL('./src/api.ts', import.meta.url)) } },
  test: {
    include: ['properties/**/*.test.ts', 'properties/**/*.prop.ts', 'src/**/*.test.ts'],
    // the suites that boot Linux run under `npm run test:kernel` (vitest.kernel.config.ts), after a kernel build
    exclude: ['properties/kernel/**', 'node_modules/**'],
    pool: 'threads',
    // spec states frozen: a rule that writes outside its immer draft throws in the tests (src/spec/rule.ts)
    env: { IOASID_LAB_FREEZE: '1' },
    testTimeout: 60_000,
    reporters: ['default', './properties/support/summary-reporter.ts'],
  },
});
