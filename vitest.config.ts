import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (the tests beside the code, `src/**\/*.test.ts`: no build needed, seconds) and
 * `integration` (`test/**\/*.test.ts`: the CLI, the examples, memory, the built package in dist/).
 * `npm test` builds and runs both; `npm run test:unit` is the quick loop.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'] } },
    ],
  },
});
