import { DEFAULT_STACK_NAME, handlerEnvironment } from '../infra/settings';
import { type Env, loadConfig } from '../shared/app/config';
import { asyncInvocations, queueTriggers } from '../shared/app/routes';
import type { LocalCredentials } from './credentials';
import type { DevIssuer } from './dev-issuer';
import { WS_STAGE } from './ids';
import type { LocalStackProps } from './settings';
import { queueUrl } from './sqs-api';

/**
 * The configuration of one local stack's runtime (local/index.ts builds it from this): never process.env, so
 * that several stacks can run in one process, each with its own table, issuer and callback URL.
 */
export interface StackEnvInput {
  tableName: string;
  dynamodbEndpoint: string;
  /**
   * DynamoDB requests in flight on one socket (DYNAMODB_PIPELINE), for a DynamoDB this stack started: both
   * engines take pipelined requests. Absent for one given with --dynamodb-endpoint (one a socket).
   */
  dynamodbPipeline?: number | undefined;
  region: string;
  port: number;
  /** The port of the SQS emulation (sqs-api.ts). */
  sqsPort: number;
  issuer: DevIssuer;
  credentials: LocalCredentials;
  handlerLogLevel: string;
  /** The CDK stack's properties: they become variables exactly as in AWS (infra/settings.ts). */
  stackProps: LocalStackProps;
  overrides: Env;
}

export function stackEnv(input: StackEnvInput): Env {
  const env: Env = {
    ...handlerEnvironment({
      ...input.stackProps,
      issuer: input.issuer.issuer,
      audience: [input.issuer.audience],
    }),
    TABLE_NAME: input.tableName,
    DYNAMODB_ENDPOINT: input.dynamodbEndpoint,
    ...(input.dynamodbPipeline ? { DYNAMODB_PIPELINE: String(input.dynamodbPipeline) } : {}),
    AWS_REGION: input.region,
    WS_CALLBACK_URL: callbackUrl(input.port),
    // Makes the SDK clients use the stack's own credentials instead of searching for real ones; the
    // Management API and the Invoke API verify the signatures made with them.
    LOCAL_STACK: 'true',
    LOCAL_ACCESS_KEY_ID: input.credentials.accessKeyId,
    LOCAL_SECRET_ACCESS_KEY: input.credentials.secretAccessKey,
    // Inline, where AWS finds the keys by OIDC discovery: the handlers need not call back into the stack.
    JWT_JWKS: JSON.stringify(input.issuer.jwks),
    LOG_LEVEL: input.handlerLogLevel,
    // The `service` dimension of the metrics, as infra sets it on every function: the stack's name (a
    // default deployment's here; the local stack has no CloudFormation name of its own).
    POWERTOOLS_SERVICE_NAME: DEFAULT_STACK_NAME,
    // The Lambda Invoke API (lambda-api.ts) answers on the same port, knowing functions by their table names.
    LAMBDA_ENDPOINT: lambdaEndpoint(input.port),
    ...Object.fromEntries(asyncInvocations.map((i) => [i.env, i.to])),
    // Every handler of the local stack shares one environment: in AWS only the senders get the queue's URL.
    ...Object.fromEntries(queueTriggers.map((q) => [q.env, queueUrl(sqsEndpoint(input.sqsPort), q.name)])),
    ...input.overrides,
  };
  loadConfig(env); // a bad override fails the start, not the first request
  return Object.freeze(env);
}

/** The Management API endpoint; handlers reach it over loopback whatever interface the stack listens on. */
export const callbackUrl = (port: number): string => `http://127.0.0.1:${port}/${WS_STAGE}`;

/** The SQS emulation's endpoint, over loopback as the callback URL. */
export const sqsEndpoint = (port: number): string => `http://127.0.0.1:${port}`;

/** The Lambda Invoke API's endpoint, over loopback as the callback URL. */
export const lambdaEndpoint = (port: number): string => `http://127.0.0.1:${port}`;
