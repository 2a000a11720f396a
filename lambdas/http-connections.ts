import { httpHandler } from '../shared/app/http';
import { lambdaHandler } from '../shared/app/lambda';
import { createPublisherRuntime } from '../shared/app/publisher-runtime';
import type { Runtime } from '../shared/app/runtime';
import { closeOperation } from '../shared/features/admin/operations';

export const makeHandler = (rt: Runtime) =>
  httpHandler(rt, 'http-connections', { close: closeOperation(rt) });

export const handler = lambdaHandler(createPublisherRuntime, makeHandler);
