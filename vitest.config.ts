import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['properties/**/*.test.ts', 'properties/**/*.prop.ts', 'src/**/*.test.ts'],
    pool: 'threads',
    testTimeout: 60_000,
    reporters: ['default', './properties/support/summary-reporter.ts'],
  },
});
