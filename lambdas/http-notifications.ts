import { httpHandler } from '../shared/app/http';
import { lambdaHandler } from '../shared/app/lambda';
import { createPublisherRuntime } from '../shared/app/publisher-runtime';
import type { Runtime } from '../shared/app/runtime';
import { notificationsOperations } from '../shared/features/notifications/notify';

export const makeHandler = (rt: Runtime) =>
  httpHandler(rt, 'http-notifications', notificationsOperations(rt));

export const handler = lambdaHandler(createPublisherRuntime, makeHandler);
