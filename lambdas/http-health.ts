import { httpHandler } from '../shared/app/http';
import { lambdaHandler } from '../shared/app/lambda';
import type { Runtime } from '../shared/app/runtime';

export const makeHandler = (rt: Runtime) =>
  httpHandler(rt, 'http-health', { health: async () => ({ status: 200, body: { status: 'ok' } }) });

export const handler = lambdaHandler(makeHandler);
