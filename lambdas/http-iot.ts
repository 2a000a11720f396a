import { httpHandler } from '../shared/app/http';
import { lambdaHandler } from '../shared/app/lambda';
import { createPublisherRuntime } from '../shared/app/publisher-runtime';
import type { Runtime } from '../shared/app/runtime';
import { iotOperations } from '../shared/features/iot/operations';

export const makeHandler = (rt: Runtime) => httpHandler(rt, 'http-iot', iotOperations(rt));

export const handler = lambdaHandler(createPublisherRuntime, makeHandler);
