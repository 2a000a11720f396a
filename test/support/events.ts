import { decodeJwt } from 'jose';
import { stringifyClaims } from '../../local/jwt-authorizer';
import type { HttpEvent, SqsRecord, WsEvent } from '../../shared/app/events';
import { type Principal, principalToContext } from '../../shared/core/auth/principal';

/**
 * An HTTP API payload-2.0 event for `routeKey` ('POST /v1/publish'), as API Gateway sends it. `token` is
 * the caller's bearer token: its `Authorization` header, and the JWT authorizer's claims as API Gateway
 * puts them on 'jwt' routes (flattened into strings).
 */
export function httpEvent(routeKey: string, extra: Partial<HttpEvent> = {}, token?: string): HttpEvent {
  const [method = 'GET', path = '/'] = routeKey.split(' ');
  const claims = token === undefined ? undefined : stringifyClaims(decodeJwt(token));
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'http123',
      domainName: 'http123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'http123',
      requestId: 'req',
      routeKey,
      stage: '$default',
      time: '23/Nov/2026:12:00:00 +0000',
      timeEpoch: Date.now(),
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'curl' },
      ...(claims ? { authorizer: { jwt: { claims, scopes: null } } } : {}),
    },
    isBase64Encoded: false,
    ...extra,
    ...(token === undefined
      ? {}
      : {
          headers: { 'content-type': 'application/json', ...extra.headers, authorization: `Bearer ${token}` },
        }),
  };
}

/**
 * A WebSocket API event for `routeKey` ('$connect', 'ping', …) from `principal`'s connection, as API
 * Gateway sends it: the $connect authorizer's context is on every route of the connection.
 */
export function wsEvent(
  routeKey: string,
  extra: Partial<WsEvent> = {},
  principal: Principal = { sub: 'alice', username: 'alice', orgs: [], scopes: [], exp: null },
  connectionId = 'L0SM9cOFvHcCIhw=',
): WsEvent {
  return {
    requestContext: {
      routeKey,
      eventType: routeKey === '$connect' ? 'CONNECT' : routeKey === '$disconnect' ? 'DISCONNECT' : 'MESSAGE',
      connectionId,
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      stage: 'prod',
      apiId: 'abc123',
      requestId: 'r1',
      requestTimeEpoch: Date.now(),
      connectedAt: Date.now(),
      messageDirection: 'IN',
      identity: { sourceIp: '203.0.113.1', userAgent: 'test' },
      authorizer: { principalId: principal.sub ?? 'anonymous', ...principalToContext(principal) },
    },
    isBase64Encoded: false,
    ...extra,
  };
}

/** One message of the fan-out queue as the SQS event source hands it to the worker, received once. */
export const sqsRecord = (body: string, messageId: string): SqsRecord => ({
  messageId,
  receiptHandle: `r-${messageId}`,
  body,
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '0',
    SenderId: 'test',
    ApproximateFirstReceiveTimestamp: '0',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:fan-out',
  awsRegion: 'us-east-1',
});
