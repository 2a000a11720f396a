import { defineConfig } from 'vitest/config';

/**
 * Four suites, one `vitest run` (`npm test`; they need Node, npm and Java 17 for DynamoDB Local):
 *  unit        the domain with fakes, the adapters with aws-sdk-client-mock (no servers, no network)
 *  infra       CDK assertions on the synthesized stack
 *  integration the local stack on a free port: real sockets, the real AWS SDK, DynamoDB Local
 *  e2e         the console page in headless Chromium (playwright-core; test/support/browser.ts finds it),
 *              on its own local stack
 * Tests with clients in other languages, which need more than npm installs, are vitest.interop.config.ts.
 */
/** `N passed, N failed` at the end, for CI. */
export const reporters = ['default', './test/support/summary-reporter.ts'];
// Inline projects do not inherit the root's `env`: each one gets this.
export const env = { NODE_NO_WARNINGS: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

export default defineConfig({
  test: {
    reporters,
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], env } },
      // CDK tests share no global state; one module graph for all saves loading aws-cdk-lib per file.
      {
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 120_000,
          // beforeAll hooks synthesize whole apps (context.test.ts runs infra/app.ts): >10 s on a busy machine.
          hookTimeout: 120_000,
          isolate: false,
          env,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          env,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      // The same global setup (its own DynamoDB Local and stack): the page's tests share nothing else.
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          env,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
