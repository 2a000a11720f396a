import { httpHandler } from '../shared/app/http';
import { lambdaHandler } from '../shared/app/lambda';
import { createPublisherRuntime } from '../shared/app/publisher-runtime';
import type { Runtime } from '../shared/app/runtime';
import { countersOperations } from '../shared/features/counters/operations';

export const makeHandler = (rt: Runtime) => httpHandler(rt, 'http-counters', countersOperations(rt));

export const handler = lambdaHandler(createPublisherRuntime, makeHandler);
