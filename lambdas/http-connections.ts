import { httpHandler } from '../shared/app/http';
import { lambdaHandler } from '../shared/app/lambda';
import type { Runtime } from '../shared/app/runtime';
import { adminOperations } from '../shared/features/admin/operations';

export const makeHandler = (rt: Runtime) =>
  httpHandler(rt, 'http-connections', { close: adminOperations(rt).close });

export const handler = lambdaHandler(makeHandler);
