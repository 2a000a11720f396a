import { afterEach, describe, expect, it } from 'vitest';
import { DynamoCounterStore } from '../../../shared/adapters/dynamo/counter-store';
import { GetCommand, UpdateCommand } from '../../../shared/adapters/dynamo/document-client';
import { mockDocumentClient, stubbedDocumentClient } from '../../support/dynamo-mock';

const ddb = mockDocumentClient();
afterEach(() => ddb.reset());

const store = () => new DynamoCounterStore(stubbedDocumentClient(), 't');

describe('DynamoCounterStore', () => {
  it.each([
    [
      { action: 'increment', value: 5 } as const,
      'ADD #total :delta, #version :one SET updatedAt = :now',
      { ':delta': 5 },
    ],
    [
      { action: 'decrement', value: 5 } as const,
      'ADD #total :delta, #version :one SET updatedAt = :now',
      { ':delta': -5 },
    ],
    [{ action: 'reset' } as const, 'SET #total = :zero, updatedAt = :now ADD #version :one', { ':zero': 0 }],
  ])(
    'applies %j with one atomic UpdateItem that also raises the version, returning the new state',
    async (change, expression, values) => {
      ddb.on(UpdateCommand).resolves({ Attributes: { total: 12, version: 4 } });
      expect(await store().apply('clicks', change, 1_000)).toEqual({ total: 12, version: 4 });
      const calls = ddb.commandCalls(UpdateCommand);
      expect(calls).toHaveLength(1);
      expect(calls[0]!.args[0].input).toEqual({
        TableName: 't',
        Key: { pk: 'counter#clicks', sk: 'value' },
        UpdateExpression: expression,
        ExpressionAttributeNames: { '#total': 'total', '#version': 'version' },
        ExpressionAttributeValues: { ...values, ':one': 1, ':now': 1_000 },
        ReturnValues: 'ALL_NEW',
      });
    },
  );

  it('reads a counter consistently, and a missing one as 0 at version 0', async () => {
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: { total: 3, version: 9 } })
      .resolves({});
    expect(await store().read('a')).toEqual({ total: 3, version: 9 });
    expect(await store().read('b')).toEqual({ total: 0, version: 0 });
    expect(ddb.commandCalls(GetCommand)[0]!.args[0].input).toMatchObject({
      Key: { pk: 'counter#a', sk: 'value' },
      ConsistentRead: true,
    });
  });
});
