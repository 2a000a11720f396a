import { httpHandler } from '../shared/app/http';
import { lambdaHandler } from '../shared/app/lambda';
import { createTableRuntime, type TableRuntime } from '../shared/app/table-runtime';
import { historyOperation } from '../shared/features/channels/history';
import { presenceOperation } from '../shared/features/channels/presence';

export const makeHandler = (rt: TableRuntime) =>
  httpHandler(rt, 'http-channels', { history: historyOperation(rt), presence: presenceOperation(rt) });

export const handler = lambdaHandler(createTableRuntime, makeHandler);
