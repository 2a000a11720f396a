import { lambdaHandler } from '../shared/app/lambda';
import { createPublisherRuntime } from '../shared/app/publisher-runtime';
import { afterConnectHandler } from '../shared/app/websocket';

/** Started by `$connect` (asynchronous Invoke): what a join at connect causes once the handshake is over. */
export const makeHandler = afterConnectHandler;
export const handler = lambdaHandler(createPublisherRuntime, makeHandler);
