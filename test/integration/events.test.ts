import {
  APIGatewayProxyEventV2Schema,
  APIGatewayProxyWebsocketEventSchema,
  EventBridgeSchema,
} from '@aws-lambda-powertools/parser/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/index';
import { callbackUrlOf, type HttpEvent, type WsEvent } from '../../shared/app/events';
import { TestClient, unique } from './support/client';
import { type Invocation, recorder, startTestStack } from './support/stack';

/**
 * Every kind of event the emulator builds, checked against the schemas Powertools publishes of what API
 * Gateway and EventBridge really send (an oracle nobody here wrote).
 *
 * Where the schemas and the AWS documentation disagree, these tests follow the documentation:
 * - APIGatewayProxyWebsocketEventSchema is, field for field, the WebSocket REQUEST *authorizer* event (it
 *   requires `type` and `methodArn`). The integration events of $connect, MESSAGE and $disconnect carry
 *   neither in AWS's documented examples, so they are checked against that schema without those two.
 * - MESSAGE events carry no headers and no query string in AWS's documentation (only requestContext, body
 *   and isBase64Encoded), and $disconnect no query string, where the schema requires the keys.
 * - APIGatewayRequestAuthorizerEventSchema describes REST API authorizers (resource, path, httpMethod);
 *   WebSocket authorizers get the shape above instead, so it does not apply here.
 */
const WebSocketIntegrationEventSchema = APIGatewayProxyWebsocketEventSchema.omit({
  type: true,
  methodArn: true,
}).partial({
  headers: true,
  multiValueHeaders: true,
  queryStringParameters: true,
  multiValueQueryStringParameters: true,
});

let stack: LocalStack;
const calls = recorder();
let connectionId: string;
const room = unique('room:');
const sub = unique('alice-');

beforeAll(async () => {
  stack = await startTestStack({
    observe: calls.observe,
    schedules: [{ name: 'every-minute-check', lambda: 'http-health', everyMinutes: 1 }],
  });
  const token = await stack.issuer.mint({
    sub,
    orgs: ['acme', 'beta'],
    scope: 'realtime:publish',
    name: 'Alice',
  });
  const client = await TestClient.connect(stack.wsUrl, {
    token,
    channels: [room],
    protocols: ['chat'],
    headers: { 'User-Agent': 'events-test/1.0', 'X-Custom': 'one' },
  });
  connectionId = String((await client.hello()).connection_id);
  await client.request('not json at all', 'error');
  await client.close(4001, 'done');
  await calls.waitFor((i) => i.lambda === 'ws-disconnect');

  await fetch(`${stack.httpUrl}/v1/publish?a=1&a=2&b=x%20y`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      cookie: 'theme=dark; lang=en',
    },
    body: JSON.stringify({ channel: room, type: 'note', data: {} }),
  });
  await fetch(`${stack.httpUrl}/v1/channels/${encodeURIComponent(room)}/history?since=0`);
  await stack.scheduler.runNow('every-minute-check');
});
afterAll(() => stack.stop());

const ws = (lambda: string, routeKey?: string): WsEvent[] =>
  calls.done
    .filter((i: Invocation) => i.lambda === lambda)
    .map((i) => i.event as WsEvent)
    .filter((e) => routeKey === undefined || e.requestContext.routeKey === routeKey);

describe('WebSocket events', () => {
  it('the authorizer event passes the schema of WebSocket REQUEST authorizer events', () => {
    const [event] = calls.done.filter((i) => i.lambda === 'ws-authorizer').map((i) => i.event);
    expect(APIGatewayProxyWebsocketEventSchema.parse(event)).toMatchObject({
      type: 'REQUEST',
      methodArn: expect.stringMatching(
        /^arn:aws:execute-api:us-east-1:\d{12}:[a-z0-9]{10}\/local\/\$connect$/,
      ),
      queryStringParameters: { channels: room, token: expect.any(String) },
      requestContext: { routeKey: '$connect', eventType: 'CONNECT', connectionId, stage: 'local' },
    });
  });

  it('$connect, MESSAGE and $disconnect events pass the schema, as AWS documents them', () => {
    const connect = ws('ws-connect')[0]!;
    const messages = ws('ws-message');
    const disconnect = ws('ws-disconnect')[0]!;
    for (const event of [connect, ...messages, disconnect]) WebSocketIntegrationEventSchema.parse(event);

    expect(connect.headers).toMatchObject({
      'User-Agent': 'events-test/1.0',
      'X-Custom': 'one',
      'Sec-WebSocket-Protocol': 'chat',
    });
    expect(connect.multiValueHeaders?.['X-Custom']).toEqual(['one']);
    expect(messages.map((e) => [e.requestContext.routeKey, e.requestContext.eventType, e.body])).toEqual([
      ['hello', 'MESSAGE', '{"type":"hello"}'],
      ['$default', 'MESSAGE', 'not json at all'],
    ]);
    for (const e of messages) expect(e.requestContext.messageId).toMatch(/^[A-Za-z0-9+/]{15}=$/);
    expect(messages[0]?.headers).toBeUndefined();
    expect(disconnect.requestContext).toMatchObject({ disconnectStatusCode: 4001, disconnectReason: 'done' });
  });

  it('every event of the connection carries the authorizer context, the same connection and the stage', () => {
    const events = [...ws('ws-connect'), ...ws('ws-message'), ...ws('ws-disconnect')];
    expect(events).toHaveLength(4);
    const first = events[0]!.requestContext;
    for (const { requestContext: ctx } of events) {
      expect(ctx.authorizer).toMatchObject({
        principalId: sub,
        sub,
        username: 'Alice',
        orgs: '["acme","beta"]',
      });
      expect(ctx).toMatchObject({
        connectionId,
        domainName: first.domainName,
        stage: 'local',
        connectedAt: first.connectedAt,
        identity: { sourceIp: '127.0.0.1', userAgent: 'events-test/1.0' },
      });
    }
    // https://{domainName}/{stage} is the Management API endpoint in AWS; locally the scheme is http.
    expect(callbackUrlOf(first).replace(/^https:/, 'http:')).toBe(stack.callbackUrl);
  });
});

describe('HTTP API events (payload 2.0)', () => {
  const http = () => calls.done.filter((i) => i.lambda.startsWith('http-')).map((i) => i.event as HttpEvent);

  it('a JWT route gets the authorizer claims as API Gateway gives them, and passes the schema', () => {
    const event = http().find((e) => e.routeKey === 'POST /v1/publish')!;
    expect(APIGatewayProxyEventV2Schema.parse(event)).toMatchObject({
      version: '2.0',
      rawPath: '/v1/publish',
      rawQueryString: 'a=1&a=2&b=x%20y',
      queryStringParameters: { a: '1,2', b: 'x y' },
      cookies: ['theme=dark', 'lang=en'],
      requestContext: {
        stage: '$default',
        http: { method: 'POST', path: '/v1/publish', sourceIp: '127.0.0.1' },
      },
    });
    expect(event.headers?.cookie).toBeUndefined();
    expect(event.headers?.['content-type']).toBe('application/json');
    const jwt = event.requestContext.authorizer?.jwt;
    expect(jwt?.claims).toMatchObject({
      sub,
      orgs: '[acme beta]',
      scope: 'realtime:publish',
      aud: 'switchboard',
    });
    for (const value of Object.values(jwt?.claims ?? {})) expect(typeof value).toBe('string');
    expect(jwt?.scopes).toEqual(['realtime:publish']);
  });

  it('a route with a path parameter passes the schema and keeps the parameter as sent', () => {
    const event = http().find((e) => e.routeKey === 'GET /v1/channels/{channel}/history')!;
    expect(APIGatewayProxyEventV2Schema.parse(event).pathParameters).toEqual({
      channel: encodeURIComponent(room),
    });
    expect(event.requestContext.authorizer).toBeUndefined();
    expect(event.body).toBeUndefined();
  });
});

describe('scheduled events', () => {
  it('pass the EventBridge schema as a "Scheduled Event" of the rule', () => {
    const [event] = calls.done.filter((i) => i.lambda === 'http-health').map((i) => i.event);
    expect(EventBridgeSchema.parse(event)).toMatchObject({
      source: 'aws.events',
      'detail-type': 'Scheduled Event',
      resources: [expect.stringMatching(/:rule\/every-minute-check$/)],
      detail: {},
    });
  });
});
