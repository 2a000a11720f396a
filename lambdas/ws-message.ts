import { lambdaHandler } from '../shared/app/lambda';
import { createRuntime } from '../shared/app/runtime';
import { messageHandler } from '../shared/app/websocket';

export const makeHandler = messageHandler;
export const handler = lambdaHandler(createRuntime, makeHandler);
