import { lambdaHandler } from '../shared/app/lambda';
import { createPublisherRuntime } from '../shared/app/publisher-runtime';
import { messageHandler } from '../shared/app/websocket';

export const makeHandler = messageHandler;
export const handler = lambdaHandler(createPublisherRuntime, makeHandler);
