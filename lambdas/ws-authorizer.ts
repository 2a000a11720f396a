import { lambdaHandler } from '../shared/app/lambda';
import { authorizerHandler } from '../shared/app/websocket';

export const makeHandler = authorizerHandler;
export const handler = lambdaHandler(makeHandler);
