import { httpHandler } from '../shared/app/http';
import { lambdaHandler } from '../shared/app/lambda';
import type { Runtime } from '../shared/app/runtime';
import { historyOperation } from '../shared/features/channels/history';
import { presenceOperation } from '../shared/features/channels/presence';

export const makeHandler = (rt: Runtime) =>
  httpHandler(rt, 'http-channels', { history: historyOperation(rt), presence: presenceOperation(rt) });

export const handler = lambdaHandler(makeHandler);
