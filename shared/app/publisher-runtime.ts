import { SqsFanOutQueue } from '../adapters/sqs/fan-out-queue';
import type { Env } from './config';
import { createRuntime, type FanOutQueueFactory, type Runtime, type RuntimeOverrides } from './runtime';

/**
 * The runtime of a function that delivers: the whole runtime (./runtime.ts) with the fan-out queue of
 * FANOUT_QUEUE_URL, on SQS. A function that posts to no audience (`$connect`) takes createRuntime and
 * bundles no SQS client; the route table says which deliver (`access.fanOutQueue`), and
 * test/infra/bundling.test.ts checks the bundles against it.
 */
export function createPublisherRuntime(env: Env, overrides: RuntimeOverrides = {}): Runtime {
  return createRuntime(env, overrides, sqsFanOutQueue);
}

const sqsFanOutQueue: FanOutQueueFactory = ({ fanOut: { queueUrl }, region }, credentials) =>
  queueUrl === undefined
    ? undefined
    : new SqsFanOutQueue({ queueUrl, region, ...(credentials ? { credentials } : {}) });
