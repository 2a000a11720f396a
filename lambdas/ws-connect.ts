import { lambdaHandler } from '../shared/app/lambda';
import { connectHandler } from '../shared/app/websocket';

export const makeHandler = connectHandler;
export const handler = lambdaHandler(makeHandler);
