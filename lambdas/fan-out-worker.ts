import { lambdaHandler } from '../shared/app/lambda';
import { createPublisherRuntime } from '../shared/app/publisher-runtime';
import { fanOutWorkerHandler } from '../shared/app/queue';

/** The fan-out queue's consumer: it posts (the Management API) and passes work on (the queue). */
export const makeHandler = fanOutWorkerHandler;
export const handler = lambdaHandler(createPublisherRuntime, makeHandler);
