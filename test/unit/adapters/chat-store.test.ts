import { afterEach, describe, expect, it } from 'vitest';
import { DynamoChatStore } from '../../../shared/adapters/dynamo/chat-store';
import {
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '../../../shared/adapters/dynamo/document-client';
import { DynamoMessageStore } from '../../../shared/adapters/dynamo/message-store';
import { conditionalCheckFailed, mockDocumentClient, stubbedDocumentClient } from '../../support/dynamo-mock';
import { FakeClock } from '../../support/fakes';

const ddb = mockDocumentClient();
afterEach(() => ddb.reset());

const doc = () => stubbedDocumentClient();
const conditionFailed = () => conditionalCheckFailed('failed');
const chatStore = (clock = new FakeClock()) => new DynamoChatStore(doc(), 't', clock);

describe('DynamoChatStore.create', () => {
  it('writes the participants in batches of 25, then the chat record on the condition it is new', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(PutCommand).resolves({});
    const participants = Array.from({ length: 60 }, (_, i) => `u${String(i).padStart(2, '0')}`);
    await chatStore().create({ id: 'C1', participants, createdAt: 1000, createdBy: 'u00' });

    const batches = ddb.commandCalls(BatchWriteCommand).map((c) => c.args[0].input.RequestItems?.t ?? []);
    expect(batches.map((b) => b.length)).toEqual([25, 25, 10]);
    expect(batches[0]?.[0]).toEqual({
      PutRequest: { Item: { pk: 'chat#C1', sk: 'member#u00', userId: 'u00', addedAt: 1000, addedBy: 'u00' } },
    });
    const written = batches.flat().map((r) => r.PutRequest?.Item?.sk);
    expect(written).toEqual(participants.map((p) => `member#${p}`));

    const put = ddb.commandCalls(PutCommand);
    expect(put).toHaveLength(1);
    expect(put[0]?.args[0].input).toMatchObject({
      TableName: 't',
      Item: { pk: 'chat#C1', sk: 'meta', id: 'C1', createdAt: 1000, createdBy: 'u00' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    // The record goes last, after every participant.
    const order = ddb.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name);
    expect(order.at(-1)).toBe('PutCommand');
  });

  it('sends unprocessed items again after a pause', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const left = { PutRequest: { Item: { pk: 'chat#C1', sk: 'member#b' } } };
    ddb
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { t: [left] } })
      .resolves({});
    ddb.on(PutCommand).resolves({});
    await chatStore(clock).create({ id: 'C1', participants: ['a', 'b'], createdAt: 1, createdBy: 'a' });
    const calls = ddb.commandCalls(BatchWriteCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.RequestItems).toEqual({ t: [left] });
    expect(clock.now()).toBeGreaterThan(start);
  });

  it('gives up, writing no chat record, when items stay unprocessed', async () => {
    ddb.on(BatchWriteCommand).resolves({ UnprocessedItems: { t: [{ PutRequest: { Item: { pk: 'x' } } }] } });
    await expect(
      chatStore().create({ id: 'C1', participants: ['a'], createdAt: 1, createdBy: 'a' }),
    ).rejects.toThrow(/unprocessed/);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });
});

describe('DynamoChatStore.get', () => {
  it('reads the chat partition page by page into the record and its sorted participants', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({
        Items: [
          { pk: 'chat#C1', sk: 'member#carol' },
          { pk: 'chat#C1', sk: 'member#alice' },
        ],
        LastEvaluatedKey: { pk: 'chat#C1', sk: 'member#carol' },
      })
      .resolvesOnce({
        Items: [
          { pk: 'chat#C1', sk: 'member#zed' },
          { pk: 'chat#C1', sk: 'meta', createdAt: 5, createdBy: 'alice' },
        ],
      });
    expect(await chatStore().get('C1')).toEqual({
      id: 'C1',
      participants: ['alice', 'carol', 'zed'],
      createdAt: 5,
      createdBy: 'alice',
    });
    const queries = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(queries[0]).toMatchObject({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'chat#C1' },
      ConsistentRead: true,
    });
    expect(queries[1]?.ExclusiveStartKey).toEqual({ pk: 'chat#C1', sk: 'member#carol' });
  });

  it('answers null for a chat without a record', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ pk: 'chat#C1', sk: 'member#alice' }] });
    expect(await chatStore().get('C1')).toBeNull();
  });
});

describe('DynamoChatStore.addParticipant', () => {
  it('writes the member item only where there is none', async () => {
    ddb.on(PutCommand).resolves({});
    expect(await chatStore().addParticipant('C1', 'bob', 'alice', 7)).toBe(true);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      Item: { pk: 'chat#C1', sk: 'member#bob', userId: 'bob', addedBy: 'alice', addedAt: 7 },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('answers false for a participant already there and rethrows other errors', async () => {
    ddb.on(PutCommand).rejectsOnce(conditionFailed()).rejectsOnce(new Error('throttled'));
    expect(await chatStore().addParticipant('C1', 'bob', 'alice', 7)).toBe(false);
    await expect(chatStore().addParticipant('C1', 'bob', 'alice', 7)).rejects.toThrow('throttled');
  });
});

describe('DynamoChatStore.isParticipant', () => {
  it('reads the one member item, consistently', async () => {
    ddb
      .on(GetCommand)
      .resolves({})
      .on(GetCommand, { Key: { pk: 'chat#C1', sk: 'member#alice' } })
      .resolves({ Item: { pk: 'chat#C1', sk: 'member#alice' } });
    expect(await chatStore().isParticipant('C1', 'alice')).toBe(true);
    expect(await chatStore().isParticipant('C1', 'mallory')).toBe(false);
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({
      TableName: 't',
      ConsistentRead: true,
    });
  });
});

describe('DynamoMessageStore.historyBefore', () => {
  const store = () => new DynamoMessageStore(doc(), 't', new FakeClock());

  it('queries newest first below the padded seq and continues before the last item read', async () => {
    ddb.on(QueryCommand).resolves({
      Items: [
        { seq: 9, frame: '{"seq":9}' },
        { seq: 8, frame: '{"seq":8}' },
      ],
      LastEvaluatedKey: { pk: 'hist#chat:C1', sk: '000000000008' },
    });
    expect(await store().historyBefore('chat:C1', 10, 2)).toEqual({
      entries: [
        { seq: 9, frame: '{"seq":9}' },
        { seq: 8, frame: '{"seq":8}' },
      ],
      next: 8,
    });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      KeyConditionExpression: 'pk = :pk AND sk < :before',
      ExpressionAttributeValues: { ':pk': 'hist#chat:C1', ':before': '000000000010' },
      ScanIndexForward: false,
      Limit: 2,
      ConsistentRead: true,
    });
  });

  it('reads from the newest without a bound and says when the last page is reached', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ seq: 1, frame: '{}' }] });
    expect(await store().historyBefore('chat:C1', null, 50)).toEqual({
      entries: [{ seq: 1, frame: '{}' }],
      next: null,
    });
    const query = ddb.commandCalls(QueryCommand)[0]?.args[0].input;
    expect(query?.KeyConditionExpression).toBe('pk = :pk');
    expect(query?.ExpressionAttributeValues).toEqual({ ':pk': 'hist#chat:C1' });
  });

  it('leaves out entries past their expiry', async () => {
    ddb.on(QueryCommand).resolves({
      Items: [
        { seq: 2, frame: 'new', expiresAt: 4_000_000_000 },
        { seq: 1, frame: 'old', expiresAt: 1 },
      ],
    });
    expect((await store().historyBefore('room:a', null, 10)).entries.map((e) => e.frame)).toEqual(['new']);
  });
});
