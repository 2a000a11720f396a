import { type Env, loadConfig } from '../shared/app/config';
import { asyncInvocations } from '../shared/app/routes';
import type { LocalCredentials } from './credentials';
import type { DevIssuer } from './dev-issuer';
import { WS_STAGE } from './ids';

/**
 * The configuration of one local stack's runtime (local/index.ts builds it from this): never process.env, so
 * that several stacks can run in one process, each with its own table, issuer and callback URL.
 */
export interface StackEnvInput {
  tableName: string;
  dynamodbEndpoint: string;
  region: string;
  port: number;
  issuer: DevIssuer;
  credentials: LocalCredentials;
  handlerLogLevel: string;
  overrides: Env;
}

export function stackEnv(input: StackEnvInput): Env {
  const env: Env = {
    TABLE_NAME: input.tableName,
    DYNAMODB_ENDPOINT: input.dynamodbEndpoint,
    AWS_REGION: input.region,
    WS_CALLBACK_URL: callbackUrl(input.port),
    // Makes the SDK clients use the stack's own credentials instead of searching for real ones; the
    // Management API and the Invoke API verify the signatures made with them.
    LOCAL_STACK: 'true',
    LOCAL_ACCESS_KEY_ID: input.credentials.accessKeyId,
    LOCAL_SECRET_ACCESS_KEY: input.credentials.secretAccessKey,
    JWT_ISSUER: input.issuer.issuer,
    JWT_AUDIENCE: input.issuer.audience,
    JWT_JWKS: JSON.stringify(input.issuer.jwks),
    ALLOW_ANONYMOUS: 'true',
    ALLOWED_ORIGINS: '',
    LOG_LEVEL: input.handlerLogLevel,
    // The Lambda Invoke API (lambda-api.ts) answers on the same port, knowing functions by their table names.
    LAMBDA_ENDPOINT: lambdaEndpoint(input.port),
    ...Object.fromEntries(asyncInvocations.map((i) => [i.env, i.to])),
    ...input.overrides,
  };
  loadConfig(env); // a bad override fails the start, not the first request
  return Object.freeze(env);
}

/** The Management API endpoint; handlers reach it over loopback whatever interface the stack listens on. */
export const callbackUrl = (port: number): string => `http://127.0.0.1:${port}/${WS_STAGE}`;

/** The Lambda Invoke API's endpoint, over loopback as the callback URL. */
export const lambdaEndpoint = (port: number): string => `http://127.0.0.1:${port}`;
