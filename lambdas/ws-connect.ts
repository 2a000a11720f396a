import { LambdaAfterConnectStarter } from '../shared/adapters/lambda';
import { lambdaHandler } from '../shared/app/lambda';
import { createRuntime, type Runtime } from '../shared/app/runtime';
import { connectHandler } from '../shared/app/websocket';
import type { AfterConnectStarter } from '../shared/core/after-connect';

/**
 * The starter is built here, not in the runtime, so that only this Lambda bundles the Lambda client;
 * `starter` lets a test give a fake (one that runs the after-connect handler in-process, say).
 */
export const makeHandler = (rt: Runtime, starter: AfterConnectStarter = afterConnectStarter(rt)) =>
  connectHandler(rt, starter);

const afterConnectStarter = (rt: Runtime): AfterConnectStarter =>
  new LambdaAfterConnectStarter({
    functionName: rt.config.functions.afterConnect,
    region: rt.config.region,
    endpoint: rt.config.functions.endpoint,
    credentials: rt.credentials,
    log: rt.log,
  });

export const handler = lambdaHandler(createRuntime, (rt) => makeHandler(rt));
