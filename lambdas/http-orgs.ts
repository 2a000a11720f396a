import { httpHandler } from '../shared/app/http';
import { lambdaHandler } from '../shared/app/lambda';
import { createPublisherRuntime } from '../shared/app/publisher-runtime';
import type { Runtime } from '../shared/app/runtime';
import { orgsOperations } from '../shared/features/orgs/org-events';

export const makeHandler = (rt: Runtime) => httpHandler(rt, 'http-orgs', orgsOperations(rt));

export const handler = lambdaHandler(createPublisherRuntime, makeHandler);
