import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as channels from '../../../lambdas/http-channels';
import * as health from '../../../lambdas/http-health';
import * as httpPublish from '../../../lambdas/http-publish';
import * as wsConnect from '../../../lambdas/ws-connect';
import * as wsDisconnect from '../../../lambdas/ws-disconnect';
import * as wsMessage from '../../../lambdas/ws-message';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '../../../shared/adapters/dynamo/document-client';
import type { Env } from '../../../shared/app/config';
import type { HttpEvent, WsEvent } from '../../../shared/app/events';
import { createRuntime } from '../../../shared/app/runtime';
import type { AfterConnectStarter } from '../../../shared/core/after-connect';
import { shardOf } from '../../../shared/core/channels';
import { conditionalCheckFailed, mockDocumentClient } from '../../support/dynamo-mock';
import { httpEvent, wsEvent } from '../../support/events';
import { type ManagementApiStub, postedTo, startStageForLambdas } from '../../support/management-api-stub';
import { AUDIENCE, ISSUER, testIssuer } from '../../support/tokens';
import { user } from '../../support/world';

const ddb = mockDocumentClient();
/** The stage's Management API: a loopback server that answers 200 to every call and records it. */
let mgmt: ManagementApiStub;
// A connect writes its subscriptions and user index entry in one BatchWriteItem, all processed.
beforeEach(() => ddb.on(BatchWriteCommand).resolves({}));
afterEach(() => {
  ddb.reset();
  mgmt.requests.length = 0;
});
afterAll(() => mgmt.close());
/** The frames posted to connections, in order. */
const posted = () => mgmt.requests.filter((r) => postedTo(r) !== null).map((r) => r.body);

let issuer: Awaited<ReturnType<typeof testIssuer>>;
let env: Env;
beforeAll(async () => {
  issuer = await testIssuer();
  mgmt = await startStageForLambdas();
  env = {
    TABLE_NAME: 'unit-test',
    WS_CALLBACK_URL: mgmt.endpoint,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    JWT_JWKS: JSON.stringify(issuer.jwks),
  };
});

/** Each Lambda module's handler, made from a runtime of `env` with the real adapters (our DynamoDB client's send is mocked). */
const connectHandler = (e: WsEvent, context?: { getRemainingTimeInMillis(): number }) =>
  wsConnect.makeHandler(createRuntime(env))(e, context);
const disconnectHandler = (e: WsEvent) => wsDisconnect.makeHandler(createRuntime(env))(e);
const messageHandler = (e: WsEvent) => wsMessage.makeHandler(createRuntime(env))(e);
const healthHandler = (e: HttpEvent) => health.makeHandler(createRuntime(env))(e);
const publishHandler = (e: HttpEvent) => httpPublish.makeHandler(createRuntime(env))(e);
const historyHandler = (e: HttpEvent) => channels.makeHandler(createRuntime(env))(e);

const conditionFailed = () => conditionalCheckFailed('failed');

describe('ws-connect', () => {
  it('stores the connection with a 2 h expiry, subscribes user:{sub}, and answers 200', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(GetCommand).resolves({ Item: { connectionId: 'L0SM9cOFvHcCIhw=', sub: 'alice', expiresAt: 4e9 } });
    ddb.on(UpdateCommand).resolves({ Attributes: { cnt: 1 } });
    const before = Math.floor(Date.now() / 1000);
    const result = await connectHandler(wsEvent('$connect'));
    expect(result).toEqual({ statusCode: 200 });
    // The record, the subscription and the user's index entry: one BatchWriteItem.
    const batch = ddb.commandCalls(BatchWriteCommand)[0]?.args[0].input.RequestItems['unit-test'];
    const meta = batch?.find((r) => r.PutRequest?.Item.sk === 'meta')?.PutRequest?.Item;
    expect(meta?.expiresAt).toBeGreaterThanOrEqual(before + 7200);
    expect(meta?.expiresAt).toBeLessThanOrEqual(before + 7201);
    const items = batch?.map((r) => r.PutRequest?.Item.pk);
    expect(items).toEqual(['conn#L0SM9cOFvHcCIhw=', 'chan#user:alice', 'user#alice']);
  });

  it('refuses with 403 and stores nothing when ?channels= names a channel the user may not have', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    const event = wsEvent('$connect', { queryStringParameters: { channels: 'room:ok,user:bob' } });
    const result = await connectHandler(event);
    expect(result.statusCode).toBe(403);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('refuses with 401 an anonymous connection asking for an org channel', async () => {
    const event = wsEvent(
      '$connect',
      { queryStringParameters: { channels: 'org:acme' } },
      user('x', { sub: null }),
    );
    expect((await connectHandler(event)).statusCode).toBe(401);
  });

  it('refuses with 400 a malformed channel list', async () => {
    const event = wsEvent('$connect', { queryStringParameters: { channels: 'room:ok,bogus:x' } });
    expect((await connectHandler(event)).statusCode).toBe(400);
  });

  it('hands the join of a room to the after-connect Lambda, with the stage to post through', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(UpdateCommand).resolves({ Attributes: { cnt: 1 } });
    const started: unknown[] = [];
    const starter: AfterConnectStarter = {
      async start(job, signal) {
        expect(signal?.aborted).toBe(false);
        started.push(job);
      },
    };
    const event = wsEvent('$connect', { queryStringParameters: { channels: 'room:lobby' } });
    const context = { getRemainingTimeInMillis: () => 9_000 };
    expect(await wsConnect.makeHandler(createRuntime(env), starter)(event, context)).toEqual({
      statusCode: 200,
    });
    expect(started).toEqual([
      {
        connectionId: 'L0SM9cOFvHcCIhw=',
        principal: expect.objectContaining({ sub: 'alice' }),
        channels: ['room:lobby', 'user:alice'],
        endpoint: expect.stringContaining('/prod'),
      },
    ]);
  });

  it('keeps the connection when the after-connect Lambda cannot be started, and says so', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(UpdateCommand).resolves({ Attributes: { cnt: 1 } });
    const starter: AfterConnectStarter = {
      start: () => Promise.reject(new Error('TooManyRequestsException')),
    };
    const event = wsEvent('$connect', { queryStringParameters: { channels: 'room:lobby' } });
    expect(await wsConnect.makeHandler(createRuntime(env), starter)(event)).toEqual({ statusCode: 200 });
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0); // nothing undone
  });

  it('undoes its writes and refuses with 500 when the Lambda nears its timeout', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(UpdateCommand).resolves({ Attributes: { cnt: 1 } });
    ddb.on(DeleteCommand).resolves({});
    let remaining = 9_000;
    ddb.on(BatchWriteCommand).callsFake(() => {
      remaining = 2_500; // DynamoDB was slow: less than the undo reserve is left
      return {};
    });
    const event = wsEvent('$connect', { queryStringParameters: { channels: 'room:lobby' } });
    const result = await connectHandler(event, { getRemainingTimeInMillis: () => remaining });
    expect(result.statusCode).toBe(500);
    const deleted = ddb.commandCalls(DeleteCommand).map((c) => c.args[0].input.Key?.pk);
    expect(deleted).toContain('conn#L0SM9cOFvHcCIhw=');
  });

  it('echoes the first sub-protocol the client offers, as API Gateway requires of $connect', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(GetCommand).resolves({ Item: { connectionId: 'x', expiresAt: 4e9 } });
    ddb.on(UpdateCommand).resolves({ Attributes: { cnt: 1 } });
    const event = wsEvent('$connect', { headers: { 'Sec-WebSocket-Protocol': 'chat, superchat' } });
    expect(await connectHandler(event)).toEqual({
      statusCode: 200,
      headers: { 'Sec-WebSocket-Protocol': 'chat' },
    });
  });
});

describe('ws-disconnect', () => {
  it('removes the connection and its subscriptions', async () => {
    ddb.on(DeleteCommand).resolves({});
    ddb
      .on(DeleteCommand, { Key: { pk: 'conn#L0SM9cOFvHcCIhw=', sk: 'meta' } })
      .resolves({ Attributes: { connectionId: 'L0SM9cOFvHcCIhw=', channels: new Set(['room:a']) } });
    ddb.on(UpdateCommand).resolves({ Attributes: { cnt: 2 } });
    const event = wsEvent('$disconnect');
    event.requestContext.disconnectStatusCode = 1001;
    expect(await disconnectHandler(event)).toEqual({ statusCode: 200 });
    const deleted = ddb.commandCalls(DeleteCommand).map((c) => c.args[0].input.Key);
    expect(deleted).toEqual([
      { pk: 'conn#L0SM9cOFvHcCIhw=', sk: 'meta' },
      { pk: `chan#room:a#${shardOf('L0SM9cOFvHcCIhw=', 8)}`, sk: 'conn#L0SM9cOFvHcCIhw=' },
    ]);
  });
});

describe('ws-message', () => {
  it('answers a request/response frame with the route response, not a Management API call', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { n: 1 } });
    const result = await messageHandler(wsEvent('ping', { body: '{"type":"ping","timestamp":"t1"}' }));
    expect(result).toEqual({ statusCode: 200, body: '{"type":"pong","timestamp":"t1"}' });
    expect(posted()).toHaveLength(0);
  });

  it('posts all replies but the last in order and returns the last as the route response', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { n: 1, cnt: 1 } });
    ddb.on(GetCommand, { Key: { pk: 'conn#L0SM9cOFvHcCIhw=', sk: 'meta' } }).resolves({
      Item: { connectionId: 'L0SM9cOFvHcCIhw=', sub: 'alice', expiresAt: 4e9 },
    });
    ddb.on(GetCommand, { Key: { pk: 'seq#room:r', sk: 'seq' } }).resolves({ Item: { seq: 2 } });
    ddb.on(BatchGetCommand).resolves({ Responses: { 'unit-test': [{ cnt: 1 }] } });
    ddb.on(QueryCommand).resolves({
      Items: [
        { seq: 1, frame: '{"type":"publication","seq":1}' },
        { seq: 2, frame: '{"type":"publication","seq":2}' },
      ],
    });
    const result = await messageHandler(
      wsEvent('subscribe', { body: '{"type":"subscribe","channel":"room:r","since":0}' }),
    );
    expect(posted()).toEqual([
      '{"type":"subscribed","channel":"room:r","seq":2,"recovered":true}',
      '{"type":"publication","seq":1}',
    ]);
    expect(result).toEqual({ statusCode: 200, body: '{"type":"publication","seq":2}' });
  });

  it('answers an expired token with UNAUTHORIZED, then closes the connection', async () => {
    const expired = user('alice', { exp: Math.floor(Date.now() / 1000) - 3600 });
    const result = await messageHandler(wsEvent('ping', { body: '{"type":"ping"}' }, expired));
    expect(result).toEqual({ statusCode: 200 });
    expect(JSON.parse(posted()[0] ?? '')).toMatchObject({
      type: 'error',
      code: 'UNAUTHORIZED',
    });
    expect(mgmt.requests.filter((r) => r.method === 'DELETE').map((r) => r.url)).toEqual([
      '/prod/@connections/L0SM9cOFvHcCIhw%3D',
    ]);
  });

  it('answers a frame that is not JSON with INVALID_JSON', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { n: 1 } });
    const result = await messageHandler(wsEvent('$default', { body: 'hello?' }));
    expect(JSON.parse(result.body ?? '')).toMatchObject({ type: 'error', code: 'INVALID_JSON' });
  });
});

describe('HTTP handlers', () => {
  let publisherToken: string;
  beforeAll(async () => {
    publisherToken = await issuer.sign({ sub: 'svc-orders', scope: 'realtime:publish' });
  });

  it('GET /v1/health answers ok', async () => {
    const result = await healthHandler(httpEvent('GET /v1/health'));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body ?? '')).toEqual({ status: 'ok' });
  });

  it('POST /v1/publish fans out to the channel and reports the delivery', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { seq: 1 } });
    ddb.on(QueryCommand).resolves({
      Items: [
        { connectionId: 'c1', expiresAt: 4e9 },
        { connectionId: 'c2', expiresAt: 4e9 },
      ],
    });
    const event = httpEvent(
      'POST /v1/publish',
      {
        body: JSON.stringify({
          channel: 'room:lobby',
          type: 'api_message',
          data: { message: 'hi', type: 'spoof' },
        }),
      },
      publisherToken,
    );
    const result = await publishHandler(event);
    expect(result.statusCode).toBe(202);
    expect(JSON.parse(result.body ?? '')).toMatchObject({ recipients: 2, delivered: 2, gone: 0 });
    const frame = JSON.parse(posted()[0] ?? '');
    // data's fields are spread into the frame, but cannot override the envelope
    expect(frame).toMatchObject({ type: 'api_message', channel: 'room:lobby', seq: 1, message: 'hi' });
  });

  it.each([
    ['not JSON', '{nope', 400, 'INVALID_JSON'],
    ['no target', JSON.stringify({ type: 'x', data: {} }), 400, 'INVALID_MESSAGE'],
    ['a reserved type', JSON.stringify({ channel: 'room:a', type: 'ack' }), 400, 'INVALID_MESSAGE'],
    ['a bad channel', JSON.stringify({ channel: 'room:', type: 'x' }), 400, 'INVALID_CHANNEL'],
    [
      'an oversized body',
      JSON.stringify({ channel: 'room:a', type: 'x', data: { b: 'x'.repeat(140_000) } }),
      413,
      'PAYLOAD_TOO_LARGE',
    ],
  ])('POST /v1/publish with %s answers an RFC 9457 problem %i %s', async (_, body, status, code) => {
    const event = httpEvent(
      'POST /v1/publish',
      {
        body,
      },
      publisherToken,
    );
    const result = await publishHandler(event);
    expect(result.statusCode).toBe(status);
    expect(result.headers?.['content-type']).toBe('application/problem+json');
    const problem = JSON.parse(result.body ?? '');
    expect(problem).toMatchObject({ status, code, type: expect.stringMatching(/^urn:switchboard:problem:/) });
    expect(problem.detail).toEqual(expect.any(String));
    expect(posted()).toHaveLength(0);
  });

  it('POST /v1/publish refuses a token without the publish scope (the authorizer already should have)', async () => {
    const event = httpEvent(
      'POST /v1/publish',
      {
        body: JSON.stringify({ channel: 'room:a', type: 'x' }),
      },
      await issuer.sign({ sub: 'u', scope: 'read' }),
    );
    const result = await publishHandler(event);
    expect(result.statusCode).toBe(403);
  });

  it('POST /v1/publish with an Idempotency-Key already answered returns the first answer and delivers nothing', async () => {
    const first = { status: 202, body: { id: 'm1', recipients: 3, delivered: 3, gone: 0 }, headers: {} };
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: { state: 'done', id: 'x', createdAt: 1, result: first } });
    const event = httpEvent(
      'POST /v1/publish',
      {
        headers: { 'content-type': 'application/json', 'idempotency-key': 'order-42' },
        body: JSON.stringify({ channel: 'room:a', type: 'x' }),
      },
      publisherToken,
    );
    const result = await publishHandler(event);
    expect(result.statusCode).toBe(202);
    expect(JSON.parse(result.body ?? '')).toEqual(first.body);
    expect(result.headers?.['idempotent-replayed']).toBe('true');
    expect(posted()).toHaveLength(0);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it('GET /v1/channels/{channel}/history serves anonymous readers of a room, oldest first', async () => {
    ddb.on(GetCommand).resolves({ Item: { seq: 2 } });
    ddb.on(QueryCommand).resolves({
      Items: [
        { seq: 1, frame: '{"type":"publication","seq":1}' },
        { seq: 2, frame: '{"type":"publication","seq":2}' },
      ],
    });
    const event = httpEvent('GET /v1/channels/{channel}/history', {
      pathParameters: { channel: 'room%3Alobby' },
      queryStringParameters: { since: '0' },
    });
    const result = await historyHandler(event);
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body ?? '')).toEqual({
      channel: 'room:lobby',
      messages: [
        { type: 'publication', seq: 1 },
        { type: 'publication', seq: 2 },
      ],
      next: null,
    });
  });

  it("GET history of a user channel answers 401 without a token and 403 with another user's token", async () => {
    const event = (headers: Record<string, string> = {}) =>
      httpEvent('GET /v1/channels/{channel}/history', { pathParameters: { channel: 'user:bob' }, headers });
    expect((await historyHandler(event())).statusCode).toBe(401);
    const token = await issuer.sign({ sub: 'alice' });
    const forbidden = await historyHandler(event({ authorization: `Bearer ${token}` }));
    expect(forbidden.statusCode).toBe(403);
    const bad = await historyHandler(event({ authorization: 'Bearer not-a-token' }));
    expect(bad.statusCode).toBe(401);
  });
});
