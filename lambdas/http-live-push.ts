import { LambdaLiveStatsTrigger } from '../shared/adapters/lambda';
import { httpHandler } from '../shared/app/http';
import { lambdaHandler } from '../shared/app/lambda';
import { createTableRuntime, type TableRuntime } from '../shared/app/table-runtime';
import { livePushOperations } from '../shared/features/live-stats/operations';
import type { LiveStatsTrigger } from '../shared/features/live-stats/store';

/**
 * The trigger is built here, not in the runtime, so that only this Lambda bundles the Lambda client (the
 * lean Invoke of shared/adapters/lambda.ts); `trigger` lets a test give a fake.
 */
export const makeHandler = (rt: TableRuntime, trigger: LiveStatsTrigger = liveStatsTrigger(rt)) =>
  httpHandler(rt, 'http-live-push', livePushOperations(rt, trigger));

const liveStatsTrigger = (rt: TableRuntime): LiveStatsTrigger =>
  new LambdaLiveStatsTrigger({
    functionName: rt.config.functions.liveStats,
    region: rt.config.region,
    endpoint: rt.config.functions.endpoint,
    credentials: rt.credentials,
    log: rt.log,
  });

export const handler = lambdaHandler(createTableRuntime, (rt) => makeHandler(rt));
