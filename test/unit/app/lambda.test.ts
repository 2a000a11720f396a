import { afterEach, describe, expect, it, vi } from 'vitest';
import { handler as healthHandler } from '../../../lambdas/http-health';
import { ConfigError } from '../../../shared/app/config';
import { lambdaHandler } from '../../../shared/app/lambda';
import { createRuntime, type Runtime } from '../../../shared/app/runtime';
import { httpEvent } from '../../support/events';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("a Lambda's handler", () => {
  it('builds its runtime on the first event, not at import, and keeps it for the next ones', async () => {
    const made: Runtime[] = [];
    const handler = lambdaHandler(createRuntime, (rt: Runtime) => {
      made.push(rt);
      return async (event: number) => event + 1;
    });
    expect(made).toHaveLength(0);
    expect(await handler(1, {})).toBe(2);
    expect(await handler(2, {})).toBe(3);
    expect(made).toHaveLength(1);
    made[0]?.dispose();
  });

  it("writes each invocation's metrics at its end, failed or not, as EMF on stdout", async () => {
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'unit-stack');
    const handler = lambdaHandler(createRuntime, (rt: Runtime) => async (fail: boolean) => {
      rt.metrics.count('Connects');
      if (fail) throw new Error('boom');
      rt.metrics.count('Connects');
      return 'ok';
    });
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      expect(await handler(false, {})).toBe('ok');
      await expect(handler(true, {})).rejects.toThrow('boom');
    } finally {
      write.mockRestore();
    }
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ service: 'unit-stack', Connects: 2 }),
      expect.objectContaining({ service: 'unit-stack', Connects: 1 }),
    ]);
  });

  it('reports a configuration error at the invocation, and works once the configuration is right', async () => {
    vi.stubEnv('MAX_DATA_BYTES', 'a lot');
    await expect(healthHandler(httpEvent('GET /v1/health'), {})).rejects.toThrow(ConfigError);
    vi.stubEnv('MAX_DATA_BYTES', '4096');
    expect(await healthHandler(httpEvent('GET /v1/health'), {})).toMatchObject({ statusCode: 200 });
  });
});
