import { lambdaHandler } from '../shared/app/lambda';
import { messageHandler } from '../shared/app/websocket';

export const makeHandler = messageHandler;
export const handler = lambdaHandler(makeHandler);
