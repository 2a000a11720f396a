import { httpHandler } from '../shared/app/http';
import { lambdaHandler } from '../shared/app/lambda';
import { createPublisherRuntime } from '../shared/app/publisher-runtime';
import type { Runtime } from '../shared/app/runtime';
import { chatOperations } from '../shared/features/chat/operations';

export const makeHandler = (rt: Runtime) => httpHandler(rt, 'http-chats', chatOperations(rt));

export const handler = lambdaHandler(createPublisherRuntime, makeHandler);
