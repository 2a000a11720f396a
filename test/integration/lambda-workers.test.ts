import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createInvoker,
  type Handler,
  type LocalLambdaContext,
  loadHandlerModules,
  makeHandlers,
} from '../../local/handlers';
import type { LocalStack } from '../../local/index';
import { type LambdaWorkers, startLambdaWorkers } from '../../local/lambda-workers';
import { createLog } from '../../local/log';
import { createRuntime, type Runtime } from '../../shared/app/runtime';
import { startTestStack } from './support/stack';

/**
 * The worker threads the local stack runs its handlers in (local/lambda-workers.ts), driven directly with a
 * test stack's environment: a handler's outcome is the same in a worker as in the stack's own thread, and
 * the invoker's concurrency bound holds across workers. Every other integration test runs its stacks on
 * workers too: live-push.test.ts sees the remaining time drop to 0 in them when a stack stops,
 * local-metrics.test.ts their metrics, mass-close.test.ts the timeouts counted from the start.
 */
let stack: LocalStack;
let workers: LambdaWorkers;
let inThread: Runtime;
const log = createLog('silent');

beforeAll(async () => {
  stack = await startTestStack({ lambdaWorkers: 1 });
  workers = await startLambdaWorkers({
    count: 2,
    env: stack.env,
    names: ['ws-message', 'http-health'],
    metricsSink: () => {},
    log,
  });
  inThread = createRuntime(stack.env);
});
afterAll(async () => {
  await workers?.close();
  inThread?.dispose();
  await stack?.stop();
});

const context = (remainingMs: number): LocalLambdaContext => ({
  functionName: 'test',
  functionVersion: '$LATEST',
  awsRequestId: 'test',
  memoryLimitInMB: '256',
  getRemainingTimeInMillis: () => remainingMs,
});

const healthEvent = {
  version: '2.0',
  routeKey: 'GET /v1/health',
  rawPath: '/v1/health',
  rawQueryString: '',
  headers: {},
  requestContext: { http: { method: 'GET', path: '/v1/health' }, requestId: 'r1', stage: '$default' },
  isBase64Encoded: false,
};

const handler = (name: 'ws-message' | 'http-health'): Handler => {
  const h = workers.handlers.get(name);
  if (!h) throw new Error(`${name} is not mounted`);
  return h;
};

describe('Lambda worker threads', () => {
  it("answer a handler's error with its name and message, as the handler in this thread throws it", async () => {
    const [inThreadMessage] = makeHandlers(await loadHandlerModules(['ws-message']), inThread).values();
    const expected = await Promise.resolve()
      .then(() => inThreadMessage?.({}, context(10_000)))
      .then(
        () => null,
        (e: unknown) => e as Error,
      );
    expect(expected).toBeInstanceOf(Error);
    await expect(handler('ws-message')({}, context(10_000))).rejects.toMatchObject({
      name: expected?.name,
      message: expected?.message,
    });
    // The worker goes on.
    await expect(handler('http-health')(healthEvent, context(10_000))).resolves.toMatchObject({
      statusCode: 200,
    });
  });

  it('run at most lambdaConcurrency invocations at once across the workers, every one answered', async () => {
    let running = 0;
    let most = 0;
    const invoker = createInvoker(workers.handlers, {
      concurrency: 3,
      log,
      observe: {
        before: () => {
          running++;
          most = Math.max(most, running);
        },
        after: () => {
          running--;
        },
      },
    });
    const results = await Promise.all(
      Array.from({ length: 24 }, () => invoker.invoke('http-health', healthEvent)),
    );
    expect(most).toBe(3);
    expect(results).toHaveLength(24);
    for (const r of results) expect(r).toMatchObject({ statusCode: 200, body: '{"status":"ok"}' });
    await invoker.drain();
  });
});
