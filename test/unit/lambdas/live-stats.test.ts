import { afterEach, describe, expect, it } from 'vitest';
import { makeHandler } from '../../../lambdas/live-stats';
import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '../../../shared/adapters/dynamo/document-client';
import { createRuntime } from '../../../shared/app/runtime';
import { mockDocumentClient } from '../../support/dynamo-mock';

const ddb = mockDocumentClient();
afterEach(() => ddb.reset());

const env = {
  TABLE_NAME: 'unit-test-live',
  WS_CALLBACK_URL: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod',
};

const handler: ReturnType<typeof makeHandler> = (event, context) =>
  makeHandler(createRuntime(env))(event, context);

describe('the live-stats handler', () => {
  it('pushes the current slot, then stops when the Lambda context says its time is nearly up', async () => {
    ddb.on(GetCommand, { Key: { pk: 'config#live-push', sk: 'config' } }).resolves({
      Item: { enabled: true, channel: 'live', intervalSeconds: 5, generation: 2, startedAt: Date.now() },
    });
    ddb.on(BatchGetCommand).resolves({ Responses: { [env.TABLE_NAME!]: [{ connections: 3 }] } });
    ddb.on(PutCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [] });

    const result = await handler({}, { getRemainingTimeInMillis: () => 3_000 });

    expect(result).toEqual({ pushed: 1, ended: 'time' });
    expect(ddb.commandCalls(PutCommand)[0]!.args[0].input).toMatchObject({
      Item: { pk: 'live-push#2', sk: 'slot#000000000000' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    // The live channel's subscribers: each of its shards read.
    expect(
      ddb.commandCalls(QueryCommand).map((c) => c.args[0].input.ExpressionAttributeValues?.[':pk']),
    ).toEqual(expect.arrayContaining(['chan#live#0', 'chan#live#7']));
  });

  it('returns at once while the push is off', async () => {
    ddb.on(GetCommand).resolves({});
    expect(await handler({}, { getRemainingTimeInMillis: () => 90_000 })).toEqual({
      pushed: 0,
      ended: 'disabled',
    });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });
});
