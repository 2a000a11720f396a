import { lambdaHandler } from '../shared/app/lambda';
import { createPublisherRuntime } from '../shared/app/publisher-runtime';
import { disconnectHandler } from '../shared/app/websocket';

export const makeHandler = disconnectHandler;
export const handler = lambdaHandler(createPublisherRuntime, makeHandler);
