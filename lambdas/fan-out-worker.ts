import { lambdaHandler } from '../shared/app/lambda';
import { fanOutWorkerHandler } from '../shared/app/queue';

export const makeHandler = fanOutWorkerHandler;

export const handler = lambdaHandler(makeHandler);
