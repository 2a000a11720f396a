import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as channels from '../../../lambdas/http-channels';
import * as chats from '../../../lambdas/http-chats';
import {
  BatchGetCommand,
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '../../../shared/adapters/dynamo/document-client';
import type { Env } from '../../../shared/app/config';
import type { HttpEvent } from '../../../shared/app/events';
import { createRuntime } from '../../../shared/app/runtime';
import { mockDocumentClient } from '../../support/dynamo-mock';
import { httpEvent } from '../../support/events';
import { type ManagementApiStub, postedTo, startStageForLambdas } from '../../support/management-api-stub';
import { UNIT_AUTH_ENV, unitToken } from '../../support/tokens';

const ddb = mockDocumentClient();
/** The stage's Management API: a loopback server that answers 200 to every post and records it. */
let mgmt: ManagementApiStub;
let env: Env;
beforeAll(async () => {
  mgmt = await startStageForLambdas();
  env = {
    TABLE_NAME: 'unit-chats',
    WS_CALLBACK_URL: mgmt.endpoint,
    ...UNIT_AUTH_ENV,
  };
});
afterAll(() => mgmt.close());
afterEach(() => {
  ddb.reset();
  mgmt.requests.length = 0;
});

/** An event of a chat route; `sub` is the caller, with a token API Gateway's JWT authorizer verified. */
const event = async (
  routeKey: string,
  parts: { sub?: string; pathParameters?: Record<string, string>; body?: unknown } = {},
) =>
  httpEvent(
    routeKey,
    {
      ...(parts.pathParameters ? { pathParameters: parts.pathParameters } : {}),
      ...(parts.body === undefined ? {} : { body: JSON.stringify(parts.body) }),
    },
    parts.sub ? await unitToken({ sub: parts.sub }) : undefined,
  );

const chatsHandler = (e: HttpEvent) => chats.makeHandler(createRuntime(env))(e);
const channelsHandler = (e: HttpEvent) => channels.makeHandler(createRuntime(env))(e);

const bodyOf = (result: { body?: string }) => JSON.parse(result.body ?? 'null');

describe('http-chats', () => {
  it('POST /v1/chats stores the participants and the chat, answering 201 with the server id', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(PutCommand).resolves({});
    const result = await chatsHandler(
      await event('POST /v1/chats', { sub: 'alice', body: { participants: ['bob'] } }),
    );
    expect(result.statusCode).toBe(201);
    const created = bodyOf(result);
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      participants: ['alice', 'bob'],
      created_at: expect.any(String),
    });
    expect(result.headers?.location).toBe(`/v1/chats/${created.id}`);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({
      pk: `chat#${created.id}`,
      sk: 'meta',
    });
  });

  it('answers 401 (a problem document) when the authorizer handed over no claims', async () => {
    const result = await chatsHandler(await event('POST /v1/chats', { body: { participants: ['bob'] } }));
    expect(result.statusCode).toBe(401);
    expect(result.headers?.['content-type']).toBe('application/problem+json');
    expect(ddb.calls()).toHaveLength(0);
  });

  it('GET /v1/chats/{id} answers 403 to a user who is not a participant', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ pk: 'chat#C1', sk: 'meta', createdAt: 1, createdBy: 'a' }] });
    const result = await chatsHandler(
      await event('GET /v1/chats/{id}', { sub: 'mallory', pathParameters: { id: 'C1' } }),
    );
    expect(result.statusCode).toBe(403);
    expect(bodyOf(result)).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('POST /v1/chats/{id}/messages stores the message in history and posts it to the chat connection', async () => {
    ddb.on(GetCommand, { Key: { pk: 'chat#C1', sk: 'member#alice' } }).resolves({ Item: { pk: 'x' } });
    ddb.on(UpdateCommand).resolves({ Attributes: { seq: 4 } });
    ddb.on(PutCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [{ connectionId: 'c-bob', userId: 'bob', expiresAt: 4e9 }] });
    const result = await chatsHandler(
      await event('POST /v1/chats/{id}/messages', {
        sub: 'alice',
        pathParameters: { id: 'C1' },
        body: { content: 'hi' },
      }),
    );
    expect(result.statusCode).toBe(201);
    expect(bodyOf(result)).toMatchObject({ chat: 'C1', sender: { id: 'alice' }, content: 'hi', seq: 4 });
    const stored = ddb.commandCalls(PutCommand)[0]?.args[0].input.Item;
    expect(stored).toMatchObject({ pk: 'hist#chat:C1', sk: '000000000004' });
    expect(stored?.expiresAt).toBeUndefined(); // chat history is kept
    expect(mgmt.requests.map(postedTo)).toEqual(['c-bob']);
    expect(mgmt.requests[0]?.body).toBe(stored?.frame);
  });
});

describe('http-channels presence', () => {
  it('GET /v1/channels/{channel}/presence answers the count, the users and the anonymous connections', async () => {
    // A room's count is the sum of its shards' counts; its subscribers are in its shards' partitions.
    ddb.on(BatchGetCommand).resolves({ Responses: { [env.TABLE_NAME!]: [{ cnt: 1 }, { cnt: 2 }] } });
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'chan#room:lobby#2' } }).resolves({
      Items: [
        { connectionId: 'a', userId: 'alice', username: 'Alice', expiresAt: 4e9 },
        { connectionId: 'c', expiresAt: 4e9 },
      ],
    });
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'chan#room:lobby#5' } }).resolves({
      Items: [{ connectionId: 'b', userId: 'alice', username: 'Alice', expiresAt: 4e9 }],
    });
    const result = await channelsHandler(
      await event('GET /v1/channels/{channel}/presence', { pathParameters: { channel: 'room%3Alobby' } }),
    );
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toEqual({
      channel: 'room:lobby',
      count: 3,
      users: [{ id: 'alice', username: 'Alice' }],
      anonymous: 1,
    });
  });
});
