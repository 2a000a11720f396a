import { httpHandler } from '../shared/app/http';
import { lambdaHandler } from '../shared/app/lambda';
import type { Runtime } from '../shared/app/runtime';
import { adminOperations } from '../shared/features/admin/operations';

export const makeHandler = (rt: Runtime) =>
  httpHandler(rt, 'http-stats', { stats: adminOperations(rt).stats });

export const handler = lambdaHandler(makeHandler);
