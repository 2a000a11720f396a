import { httpHandler } from '../shared/app/http';
import { lambdaHandler } from '../shared/app/lambda';
import { createTableRuntime, type TableRuntime } from '../shared/app/table-runtime';
import { statsOperation } from '../shared/features/admin/operations';

export const makeHandler = (rt: TableRuntime) => httpHandler(rt, 'http-stats', { stats: statsOperation(rt) });

export const handler = lambdaHandler(createTableRuntime, makeHandler);
