/**
 * The parts of API Gateway's events this project reads. Shapes follow the AWS documentation; the local
 * emulator builds exactly these, and test/ checks them against Powertools' published schemas.
 */

export type Headers = Record<string, string | undefined>;

/** The part of Lambda's context object the handlers read. */
export interface LambdaContext {
  /** Milliseconds until the function's timeout. */
  getRemainingTimeInMillis(): number;
}

export interface WsRequestContext {
  routeKey: string;
  eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
  connectionId: string;
  domainName: string;
  stage: string;
  apiId: string;
  requestId: string;
  extendedRequestId?: string;
  requestTime?: string;
  requestTimeEpoch: number;
  connectedAt: number;
  messageDirection: 'IN';
  messageId?: string;
  identity: { sourceIp: string; userAgent?: string };
  /** The $connect authorizer's context (plus `principalId`), on every route of the connection. */
  authorizer?: Record<string, unknown>;
  disconnectStatusCode?: number;
  disconnectReason?: string;
}

export interface WsEvent {
  requestContext: WsRequestContext;
  body?: string;
  isBase64Encoded: boolean;
  headers?: Headers;
  multiValueHeaders?: Record<string, string[]>;
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
}

export interface WsResult {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface WsAuthorizerEvent {
  type: 'REQUEST';
  methodArn: string;
  headers?: Headers;
  multiValueHeaders?: Record<string, string[]>;
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
  stageVariables?: Record<string, string>;
  requestContext: WsRequestContext;
}

export interface AuthorizerResult {
  principalId: string;
  policyDocument: {
    Version: '2012-10-17';
    Statement: { Action: 'execute-api:Invoke'; Effect: 'Allow' | 'Deny'; Resource: string }[];
  };
  context?: Record<string, string>;
}

/** HTTP API payload format 2.0. */
export interface HttpEvent {
  version: '2.0';
  routeKey: string;
  rawPath: string;
  rawQueryString: string;
  cookies?: string[];
  headers?: Headers;
  queryStringParameters?: Record<string, string>;
  pathParameters?: Record<string, string>;
  requestContext: {
    accountId: string;
    apiId: string;
    domainName: string;
    domainPrefix: string;
    requestId: string;
    routeKey: string;
    stage: string;
    time: string;
    timeEpoch: number;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    authorizer?: { jwt?: { claims: Record<string, unknown>; scopes: string[] | null } };
  };
  body?: string;
  isBase64Encoded: boolean;
}

export interface HttpResult {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}

/** A header, whatever its case (WebSocket events keep the client's, HTTP API v2 lower-cases). */
export function header(headers: Headers | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** The Management API endpoint of the stage an event came through: https://{domainName}/{stage}. */
export const callbackUrlOf = (ctx: Pick<WsRequestContext, 'domainName' | 'stage'>): string =>
  `https://${ctx.domainName}/${ctx.stage}`;

/** One message of an SQS event source's batch (the fan-out worker's event). */
export interface SqsRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: {
    ApproximateReceiveCount: string;
    SentTimestamp: string;
    SenderId: string;
    ApproximateFirstReceiveTimestamp: string;
  };
  messageAttributes: Record<string, unknown>;
  md5OfBody: string;
  eventSource: 'aws:sqs';
  eventSourceARN: string;
  awsRegion: string;
}

export interface SqsEvent {
  Records: SqsRecord[];
}

/** With ReportBatchItemFailures: the messages to receive again; the others of the batch are deleted. */
export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}
