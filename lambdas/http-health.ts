import { type BaseRuntime, createBaseRuntime } from '../shared/app/base-runtime';
import { httpHandler } from '../shared/app/http';
import { lambdaHandler } from '../shared/app/lambda';

export const makeHandler = (rt: BaseRuntime) =>
  httpHandler(rt, 'http-health', { health: async () => ({ status: 200, body: { status: 'ok' } }) });

export const handler = lambdaHandler(createBaseRuntime, makeHandler);
