import { lambdaHandler } from '../shared/app/lambda';
import { disconnectHandler } from '../shared/app/websocket';

export const makeHandler = disconnectHandler;
export const handler = lambdaHandler(makeHandler);
