import { defineConfig } from 'vitest/config';

/**
 * `npm run test:kernel`: the suites that boot Linux (properties/kernel/). They need `ioasid-lab kernel build` first
 * (the npm script runs it) and run one guest at a time, so one fork and no file parallelism.
 */
export default defineConfig({
  test: {
    include: ['properties/kernel/**/*.test.ts'],
    pool: 'forks',
    env: { IOASID_LAB_FREEZE: '1' },
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 600_000,
    reporters: ['default', './properties/support/summary-reporter.ts'],
  },
});
