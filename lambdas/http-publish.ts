import { httpHandler } from '../shared/app/http';
import { lambdaHandler } from '../shared/app/lambda';
import { createPublisherRuntime } from '../shared/app/publisher-runtime';
import type { Runtime } from '../shared/app/runtime';
import { publishOperations } from '../shared/features/publish/publish';

export const makeHandler = (rt: Runtime) => httpHandler(rt, 'http-publish', publishOperations(rt));

export const handler = lambdaHandler(createPublisherRuntime, makeHandler);
