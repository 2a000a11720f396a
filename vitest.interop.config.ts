import { defineConfig } from 'vitest/config';
import { env, reporters } from './vitest.config';

/**
 * `npm run test:interop`: clients written in other languages (test/interop/), against the same local stack
 * as the integration tests. Separate from `npm test` because their libraries come from Debian, not npm
 * (.ci/run installs them; test/interop/support/ says how to point elsewhere).
 */
export default defineConfig({
  test: {
    reporters,
    projects: [
      {
        test: {
          name: 'interop',
          include: ['test/interop/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          env,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
