import type { WsAuthorizerEvent, WsEvent, WsRequestContext } from '../shared/app/events';
import type { CloseInfo } from './close-codes';
import type { LiveConnection } from './connection-registry';
import { awsStyleId, LOCAL_ACCOUNT_ID, requestTime, WS_API_ID, WS_STAGE } from './ids';
import { parseQuery, type RequestParts } from './request-parts';

/**
 * The events API Gateway sends to the WebSocket API's integrations, field for field as the AWS
 * documentation shows them: the REQUEST authorizer's, then CONNECT, MESSAGE and DISCONNECT.
 */
export interface WsStage {
  region: string;
  /** `https://{domainName}/{stage}` is the Management API endpoint (http:// locally). */
  domainName: string;
}

export const methodArn = (stage: WsStage): string =>
  `arn:aws:execute-api:${stage.region}:${LOCAL_ACCOUNT_ID}:${WS_API_ID}/${WS_STAGE}/$connect`;

function requestContext(
  stage: WsStage,
  connection: LiveConnection,
  routeKey: string,
  eventType: WsRequestContext['eventType'],
): WsRequestContext {
  const now = Date.now();
  return {
    routeKey,
    eventType,
    extendedRequestId: awsStyleId(),
    requestTime: requestTime(now),
    messageDirection: 'IN',
    stage: WS_STAGE,
    connectedAt: connection.connectedAt,
    requestTimeEpoch: now,
    identity: { ...connection.identity },
    requestId: awsStyleId(),
    domainName: stage.domainName,
    connectionId: connection.id,
    apiId: WS_API_ID,
  };
}

/** The handshake request as the authorizer and `$connect` see it. */
export interface Handshake {
  request: RequestParts;
  /** Header values API Gateway adds (X-Forwarded-*). */
  port: number;
}

function handshakeHeaders(h: Handshake) {
  const forwarded = {
    'X-Forwarded-For': h.request.sourceIp,
    'X-Forwarded-Port': String(h.port),
    'X-Forwarded-Proto': 'http',
  };
  const multi: Record<string, string[]> = { ...h.request.multiValueHeaders };
  for (const [k, v] of Object.entries(forwarded)) multi[k] = [v];
  const single: Record<string, string> = { ...h.request.headers, ...forwarded };
  const lists = parseQuery(h.request.rawQueryString);
  // REST-style (payload 1.0) query maps: the single-value map keeps the last value of a repeated key.
  const query = Object.fromEntries(Object.entries(lists).map(([k, v]) => [k, v.at(-1) ?? '']));
  return { headers: single, multiValueHeaders: multi, query, multiValueQuery: lists };
}

export function authorizerEvent(
  stage: WsStage,
  connection: LiveConnection,
  handshake: Handshake,
): WsAuthorizerEvent & { isBase64Encoded: false } {
  const h = handshakeHeaders(handshake);
  return {
    type: 'REQUEST',
    methodArn: methodArn(stage),
    headers: h.headers,
    multiValueHeaders: h.multiValueHeaders,
    queryStringParameters: h.query,
    multiValueQueryStringParameters: h.multiValueQuery,
    stageVariables: {},
    requestContext: requestContext(stage, connection, '$connect', 'CONNECT'),
    isBase64Encoded: false,
  };
}

export function connectEvent(stage: WsStage, connection: LiveConnection, handshake: Handshake): WsEvent {
  const h = handshakeHeaders(handshake);
  const hasQuery = Object.keys(h.query).length > 0;
  return {
    headers: h.headers,
    multiValueHeaders: h.multiValueHeaders,
    ...(hasQuery
      ? { queryStringParameters: h.query, multiValueQueryStringParameters: h.multiValueQuery }
      : {}),
    requestContext: {
      ...requestContext(stage, connection, '$connect', 'CONNECT'),
      authorizer: connection.authorizer,
    },
    isBase64Encoded: false,
  };
}

/** MESSAGE events carry no headers: only the frame and the connection's context. */
export function messageEvent(
  stage: WsStage,
  connection: LiveConnection,
  routeKey: string,
  body: string,
): WsEvent {
  return {
    requestContext: {
      ...requestContext(stage, connection, routeKey, 'MESSAGE'),
      messageId: awsStyleId(),
      authorizer: connection.authorizer,
    },
    body,
    isBase64Encoded: false,
  };
}

export function disconnectEvent(stage: WsStage, connection: LiveConnection, close: CloseInfo): WsEvent {
  // The headers AWS sends with $disconnect: not the client's, a fixed few of its own.
  const headers = {
    Host: stage.domainName,
    'x-api-key': '',
    'X-Forwarded-For': connection.identity.sourceIp,
    'x-restapi': '',
  };
  return {
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    requestContext: {
      ...requestContext(stage, connection, '$disconnect', 'DISCONNECT'),
      disconnectStatusCode: close.code,
      disconnectReason: close.reason,
      authorizer: connection.authorizer,
    },
    isBase64Encoded: false,
  };
}
