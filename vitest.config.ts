import { defineConfig } from 'vitest/config';

/**
 * Three suites, one `vitest run`:
 *  unit        the domain with fakes, the adapters with aws-sdk-client-mock (no servers, no network)
 *  infra       CDK assertions on the synthesized stack
 *  integration the local stack on a free port: real sockets, the real AWS SDK, DynamoDB Local
 */
export default defineConfig({
  test: {
    env: { NODE_NO_WARNINGS: '1', AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1' },
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      // CDK tests share no global state; one module graph for all saves loading aws-cdk-lib per file.
      { test: { name: 'infra', include: ['test/infra/**/*.test.ts'], testTimeout: 120_000, isolate: false } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
