import { lambdaHandler } from '../shared/app/lambda';
import { createRuntime } from '../shared/app/runtime';
import { disconnectHandler } from '../shared/app/websocket';

export const makeHandler = disconnectHandler;
export const handler = lambdaHandler(createRuntime, makeHandler);
