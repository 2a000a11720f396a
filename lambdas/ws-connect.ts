import { lambdaHandler } from '../shared/app/lambda';
import { createRuntime } from '../shared/app/runtime';
import { connectHandler } from '../shared/app/websocket';

export const makeHandler = connectHandler;
export const handler = lambdaHandler(createRuntime, makeHandler);
