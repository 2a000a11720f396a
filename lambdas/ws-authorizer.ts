import { authorizerHandler, createAuthorizerRuntime } from '../shared/app/authorizer';
import { lambdaHandler } from '../shared/app/lambda';

export const makeHandler = authorizerHandler;
export const handler = lambdaHandler(createAuthorizerRuntime, makeHandler);
