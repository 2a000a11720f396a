import { httpHandler } from '../shared/app/http';
import { lambdaHandler } from '../shared/app/lambda';
import { createPublisherRuntime } from '../shared/app/publisher-runtime';
import type { Runtime } from '../shared/app/runtime';
import { roomsOperations } from '../shared/features/rooms/push';

export const makeHandler = (rt: Runtime) => httpHandler(rt, 'http-rooms', roomsOperations(rt));

export const handler = lambdaHandler(createPublisherRuntime, makeHandler);
