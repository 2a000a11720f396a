import { afterEach, describe, expect, it } from 'vitest';
import { DynamoConnectionStore } from '../../../shared/adapters/dynamo/connection-store';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '../../../shared/adapters/dynamo/document-client';
import { DynamoIdempotencyStore } from '../../../shared/adapters/dynamo/idempotency-store';
import { DynamoMessageStore } from '../../../shared/adapters/dynamo/message-store';
import { STATS_SHARDS } from '../../../shared/adapters/dynamo/table';
import { shardOf } from '../../../shared/core/channels';
import { ChannelLimitError, ConnectAbandonedError, ConnectionGoneError } from '../../../shared/core/ports';
import { conditionalCheckFailed, mockDocumentClient, stubbedDocumentClient } from '../../support/dynamo-mock';
import { FakeClock } from '../../support/fakes';

const ddb = mockDocumentClient();
afterEach(() => ddb.reset());

const doc = () => stubbedDocumentClient();
const clock = new FakeClock();
const conditionFailed = () => conditionalCheckFailed('failed');
const meta = {
  pk: 'conn#c1',
  sk: 'meta',
  connectionId: 'c1',
  sub: 'alice',
  username: 'Alice',
  orgs: ['acme'],
  scopes: [],
  connectedAt: 1,
  expiresAt: 4_000_000_000,
  channels: new Set(['room:a', 'user:alice']),
};

/** Every write the store sent, as `Command pk|sk`, in order. */
type WireKey = { pk: string; sk: string };
/** Every write, in order: `Put pk|sk`, …; each put or delete of a BatchWriteItem as `BatchPut pk|sk`, `BatchDelete pk|sk`. */
const writes = () =>
  ddb
    .calls()
    .flatMap((c) => {
      const cmd = c.args[0] as {
        constructor: { name: string };
        input: {
          Key?: WireKey;
          Item?: WireKey;
          RequestItems?: Record<
            string,
            { PutRequest?: { Item: WireKey }; DeleteRequest?: { Key: WireKey } }[]
          >;
        };
      };
      if (cmd instanceof BatchWriteCommand) {
        return Object.values(cmd.input.RequestItems ?? {})
          .flat()
          .map((r) =>
            r.PutRequest
              ? `BatchPut ${r.PutRequest.Item.pk}|${r.PutRequest.Item.sk}`
              : `BatchDelete ${r.DeleteRequest?.Key.pk}|${r.DeleteRequest?.Key.sk}`,
          );
      }
      const key = cmd.input.Key ?? cmd.input.Item;
      return [`${cmd.constructor.name.replace('Command', '')} ${key?.pk}|${key?.sk}`];
    })
    .filter((s) => !s.startsWith('Get') && !s.startsWith('Query') && !s.startsWith('BatchGet'));

/** Rooms have 8 shards here, everything else 1 (as the namespaces say). */
const shardsOf = (channel: string) => (channel.startsWith('room:') ? 8 : 1);
const store = () => new DynamoConnectionStore(doc(), 't', clock, shardsOf);
/** The partition of c1's subscription on a room. */
const roomPk = (room: string) => `chan#${room}#${shardOf('c1', 8)}`;
const statsPk = `stats#${shardOf('c1', STATS_SHARDS)}`;
/** What each write to c1's stats item added, by name. */
const statsWrites = () =>
  ddb
    .commandCalls(UpdateCommand, { Key: { pk: statsPk, sk: 'global' } })
    .map(({ args: [{ input }] }) =>
      Object.fromEntries(
        Object.entries(input.ExpressionAttributeNames ?? {}).map(([ref, name]) => [
          name,
          input.ExpressionAttributeValues?.[`:v${ref.slice(2)}`],
        ]),
      ),
    );

describe('DynamoConnectionStore.subscribe', () => {
  it("writes the subscription in its shard, raises that shard's count, adds the channel to the connection, counts a new channel", async () => {
    ddb.on(GetCommand, { Key: { pk: 'conn#c1', sk: 'meta' } }).resolves({ Item: meta });
    ddb.on(UpdateCommand).resolves({ Attributes: { cnt: 1 } });
    ddb.on(BatchGetCommand).resolves({ Responses: { t: [{ cnt: 1 }, { cnt: 2 }] } });
    expect(await store().subscribe('c1', 'room:b', 100)).toEqual({ added: true, count: 3 });
    expect(writes()).toEqual([
      `Put ${roomPk('room:b')}|conn#c1`,
      `Update ${roomPk('room:b')}|count`,
      'Update chan#room:b|shards', // the shard went 0 → 1
      `Update ${statsPk}|global`, // and with it the channel: channels + 1
      'Update conn#c1|meta',
    ]);
    const put = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put).toMatchObject({
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { connectionId: 'c1', userId: 'alice', username: 'Alice', expiresAt: 4_000_000_000 },
    });
    const update = ddb.commandCalls(UpdateCommand).at(-1)?.args[0].input;
    expect(update?.ConditionExpression).toContain('size(channels) < :max');
    expect(update?.ExpressionAttributeValues).toMatchObject({ ':max': 100, ':c': new Set(['room:b']) });
    // The count after the join: every shard's count, read in one consistent request.
    const batch = ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.t;
    expect(batch?.ConsistentRead).toBe(true);
    expect(batch?.Keys).toEqual(
      Array.from({ length: 8 }, (_, i) => ({ pk: `chan#room:b#${i}`, sk: 'count' })),
    );
  });

  it('stores a recovering subscription as replay pending, and clears the mark with its replayedTo', async () => {
    ddb.on(GetCommand, { Key: { pk: 'conn#c1', sk: 'meta' } }).resolves({ Item: meta });
    ddb.on(UpdateCommand).resolves({ Attributes: { cnt: 2 } });
    ddb.on(BatchGetCommand).resolves({ Responses: { t: [{ cnt: 2 }] } });
    await store().subscribe('c1', 'room:b', 100, { replayPending: true });
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({ replayPending: true });
    await store().setReplayedTo('c1', 'room:b', 42);
    expect(ddb.commandCalls(UpdateCommand).at(-1)?.args[0].input).toMatchObject({
      Key: { pk: roomPk('room:b'), sk: 'conn#c1' },
      UpdateExpression: 'SET replayedTo = :s REMOVE replayPending',
      ExpressionAttributeValues: { ':s': 42 },
    });
  });

  it('changes nothing for a connection already subscribed', async () => {
    ddb.on(GetCommand, { Key: { pk: 'conn#c1', sk: 'meta' } }).resolves({ Item: meta });
    ddb.on(GetCommand, { Key: { pk: 'chan#user:alice', sk: 'count' } }).resolves({ Item: { cnt: 3 } });
    ddb.on(PutCommand).rejects(conditionFailed());
    expect(await store().subscribe('c1', 'user:alice', 100)).toEqual({ added: false, count: 3 });
    expect(writes()).toEqual(['Put chan#user:alice|conn#c1']);
  });

  it('undoes the subscription and count when the connection is at its channel limit', async () => {
    ddb.on(GetCommand, { Key: { pk: 'conn#c1', sk: 'meta' } }).resolves({ Item: meta });
    ddb.on(UpdateCommand).resolves({ Attributes: { cnt: 2 } });
    ddb.on(UpdateCommand, { Key: { pk: 'conn#c1', sk: 'meta' } }).rejects(conditionFailed());
    ddb.on(DeleteCommand).resolves({ Attributes: { pk: 'x' } });
    await expect(store().subscribe('c1', 'room:b', 2)).rejects.toBeInstanceOf(ChannelLimitError);
    expect(writes()).toEqual([
      `Put ${roomPk('room:b')}|conn#c1`,
      `Update ${roomPk('room:b')}|count`,
      'Update conn#c1|meta',
      `Delete ${roomPk('room:b')}|conn#c1`,
      `Update ${roomPk('room:b')}|count`,
    ]);
  });

  it('takes the subscription back out when its count could not be raised', async () => {
    ddb.on(GetCommand, { Key: { pk: 'conn#c1', sk: 'meta' } }).resolves({ Item: meta });
    ddb.on(UpdateCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    await expect(store().subscribe('c1', 'room:b', 100)).rejects.toThrow('ProvisionedThroughput');
    expect(writes()).toEqual([
      `Put ${roomPk('room:b')}|conn#c1`,
      `Update ${roomPk('room:b')}|count`,
      `Delete ${roomPk('room:b')}|conn#c1`,
    ]);
  });

  it('writes nothing for a connection that is gone', async () => {
    ddb.on(GetCommand).resolves({});
    await expect(store().subscribe('c1', 'room:b', 100)).rejects.toBeInstanceOf(ConnectionGoneError);
    expect(writes()).toEqual([]);
  });
});

describe('DynamoConnectionStore.put', () => {
  const record = {
    connectionId: 'c1',
    principal: { sub: 'alice', username: 'Alice', orgs: [], scopes: [], exp: 2_000_000_000 },
    channels: ['room:a', 'user:alice'],
    connectedAt: 1,
    expiresAt: 4_000_000_000,
  };

  it('writes the record, its subscriptions and its index entry in one batch, then every count at once', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(UpdateCommand).resolves({ Attributes: { cnt: 5 } });
    // What the counts' ADDs answered: each channel's shard after the join.
    expect(await store().put(record)).toEqual({ joined: { 'room:a': 5, 'user:alice': 5 }, counts: {} });
    const all = writes();
    expect(all.slice(0, 4)).toEqual([
      'BatchPut conn#c1|meta',
      `BatchPut ${roomPk('room:a')}|conn#c1`,
      'BatchPut chan#user:alice|conn#c1',
      'BatchPut user#alice|conn#c1',
    ]);
    expect(ddb.commandCalls(BatchWriteCommand)).toHaveLength(1);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(all.slice(4).sort()).toEqual(
      [
        `Update ${statsPk}|global`, // connections + 1
        `Update ${roomPk('room:a')}|count`,
        'Update chan#user:alice|count',
        'Update user#alice|count',
      ].sort(),
    );
    const [recordPut, subscriptionPut] =
      ddb.commandCalls(BatchWriteCommand)[0]?.args[0].input.RequestItems.t ?? [];
    expect(recordPut?.PutRequest?.Item).toMatchObject({
      connectionId: 'c1',
      connectedAt: 1,
      channels: new Set(['room:a', 'user:alice']),
    });
    // The subscription carries its connection's connectedAt: a post answered 410 decides from it.
    expect(subscriptionPut).toEqual({
      PutRequest: {
        Item: {
          pk: roomPk('room:a'),
          sk: 'conn#c1',
          connectionId: 'c1',
          userId: 'alice',
          username: 'Alice',
          expiresAt: 4_000_000_000,
          dialect: undefined,
          connectedAt: 1,
        },
      },
    });
  });

  it('writes a connection with no channel and no user as one PutItem, not a batch of one', async () => {
    const anonymous = { ...record, principal: { ...record.principal, sub: null }, channels: [] };
    expect(await store().put(anonymous)).toEqual({ joined: {}, counts: {} });
    expect(writes()).toEqual(['Put conn#c1|meta', `Update ${statsPk}|global`]);
    expect(ddb.commandCalls(BatchWriteCommand)).toHaveLength(0);
  });

  it("reads the other shards of the channels asked for while it writes, and answers each one's whole count", async () => {
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(UpdateCommand).resolves({ Attributes: { cnt: 5 } });
    const mine = shardOf('c1', 8);
    const others = [0, 1, 2, 3, 4, 5, 6, 7].filter((s) => s !== mine);
    ddb.on(BatchGetCommand).resolves({
      Responses: { t: others.map((s) => ({ pk: `chan#room:a#${s}`, sk: 'count', cnt: s + 1 })) },
    });
    const result = await store().put(record, { count: ['room:a', 'user:alice'] });
    const rest = others.reduce((total, s) => total + s + 1, 0);
    // user:alice has one shard: its `joined` is whole already, nothing is read for it.
    expect(result).toEqual({ joined: { 'room:a': 5, 'user:alice': 5 }, counts: { 'room:a': 5 + rest } });
    const keys = ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.t;
    expect(keys).toEqual({
      Keys: others.map((s) => ({ pk: `chan#room:a#${s}`, sk: 'count' })),
      ConsistentRead: true,
    });
    expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(1);
  });

  it('connects all the same when that read fails, leaving the whole count out', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(UpdateCommand).resolves({ Attributes: { cnt: 5 } });
    ddb.on(BatchGetCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    expect(await store().put(record, { count: ['room:a'] })).toEqual({
      joined: { 'room:a': 5, 'user:alice': 5 },
      counts: {},
    });
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('writes the stats once for the connection, the channels and the user it was first in', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(UpdateCommand).resolves({ Attributes: { cnt: 1 } });
    await store().put(record);
    expect(statsWrites()).toEqual([{ connections: 1, channels: 2, users: 1 }]);
  });

  it('undoes everything it wrote when a count fails, and throws that failure', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(UpdateCommand).resolves({ Attributes: { cnt: 5 } });
    ddb
      .on(UpdateCommand, { Key: { pk: 'user#alice', sk: 'count' } })
      .rejects(new Error('InternalServerError'));
    ddb.on(DeleteCommand).resolves({ Attributes: { pk: 'x' } });
    // The index entry went with its failed count (uncounted), so the undo does not find it.
    ddb.on(DeleteCommand, { Key: { pk: 'user#alice', sk: 'conn#c1' }, ReturnValues: 'ALL_OLD' }).resolves({});
    await expect(store().put(record)).rejects.toThrow('InternalServerError');
    expect(new Set(writes().filter((w) => w.startsWith('Delete')))).toEqual(
      new Set([
        'Delete conn#c1|meta',
        `Delete ${roomPk('room:a')}|conn#c1`,
        'Delete chan#user:alice|conn#c1',
        'Delete user#alice|conn#c1',
      ]),
    );
    // Each count it raised is lowered again, the connection's stats too; the user's count never moved.
    const counts = ddb
      .commandCalls(UpdateCommand)
      .map((c) => c.args[0].input)
      .filter(
        (i) => i.ExpressionAttributeValues?.[':by'] === -1 || i.ExpressionAttributeValues?.[':v0'] === -1,
      )
      .map((i) => `${i.Key?.pk}|${i.Key?.sk}`);
    expect(counts.sort()).toEqual(
      [`${roomPk('room:a')}|count`, 'chan#user:alice|count', `${statsPk}|global`].sort(),
    );
  });

  it('when its batch fails, deletes what the batch may have written (the record too), counts nothing, and throws', async () => {
    ddb.on(BatchWriteCommand).rejectsOnce(new Error('InternalServerError')).resolves({});
    await expect(store().put(record)).rejects.toThrow('InternalServerError');
    expect(writes()).toEqual([
      'BatchPut conn#c1|meta',
      `BatchPut ${roomPk('room:a')}|conn#c1`,
      'BatchPut chan#user:alice|conn#c1',
      'BatchPut user#alice|conn#c1',
      'BatchDelete conn#c1|meta',
      `BatchDelete ${roomPk('room:a')}|conn#c1`,
      'BatchDelete chan#user:alice|conn#c1',
      'BatchDelete user#alice|conn#c1',
    ]);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('stops and undoes when its caller runs out of time', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { cnt: 5 } });
    ddb.on(DeleteCommand).resolves({});
    ddb.on(BatchWriteCommand).resolves({});
    await expect(store().put(record, { stop: () => true })).rejects.toBeInstanceOf(ConnectAbandonedError);
    expect(writes()).toEqual([
      'BatchPut conn#c1|meta',
      `BatchPut ${roomPk('room:a')}|conn#c1`,
      'BatchPut chan#user:alice|conn#c1',
      'BatchPut user#alice|conn#c1',
      'Delete conn#c1|meta',
      `Delete ${roomPk('room:a')}|conn#c1`,
      'Delete chan#user:alice|conn#c1',
      'Delete user#alice|conn#c1',
    ]);
  });
});

describe('DynamoConnectionStore.remove', () => {
  it('deletes the connection, then each subscription, the user index entry, and lowers the counts', async () => {
    ddb.on(DeleteCommand, { Key: { pk: 'conn#c1', sk: 'meta' } }).resolves({ Attributes: meta });
    ddb
      .on(DeleteCommand, { Key: { pk: roomPk('room:a'), sk: 'conn#c1' } })
      .resolves({ Attributes: { pk: 'x' } });
    ddb
      .on(DeleteCommand, { Key: { pk: 'chan#user:alice', sk: 'conn#c1' } })
      .resolves({ Attributes: { pk: 'x' } });
    ddb.on(DeleteCommand, { Key: { pk: 'user#alice', sk: 'conn#c1' } }).resolves({ Attributes: { pk: 'x' } });
    ddb
      .on(UpdateCommand, { Key: { pk: roomPk('room:a'), sk: 'count' } })
      .resolves({ Attributes: { cnt: 4 } });
    ddb
      .on(UpdateCommand, { Key: { pk: 'chan#user:alice', sk: 'count' } })
      .resolves({ Attributes: { cnt: 0 } });
    ddb.on(UpdateCommand, { Key: { pk: 'user#alice', sk: 'count' } }).resolves({ Attributes: { cnt: 1 } });
    const removed = await store().remove('c1');
    expect(removed?.record).toMatchObject({
      connectionId: 'c1',
      principal: { sub: 'alice', orgs: ['acme'] },
    });
    expect(removed?.left).toEqual(['room:a', 'user:alice']);
    const all = writes();
    expect(all[0]).toBe('Delete conn#c1|meta');
    expect(all.slice(1).sort()).toEqual(
      [
        `Delete ${roomPk('room:a')}|conn#c1`,
        `Update ${roomPk('room:a')}|count`,
        'Delete chan#user:alice|conn#c1',
        'Update chan#user:alice|count',
        'Delete chan#user:alice|count',
        `Update ${statsPk}|global`, // one write for the stats: connections -1, channels -1 (user:alice is empty now)
        'Delete user#alice|conn#c1',
        'Update user#alice|count', // alice still has another connection: users unchanged
      ].sort(),
    );
    expect(statsWrites()).toEqual([{ connections: -1, channels: -1 }]);
  });

  it('removes only the orphan subscription it was told of when the connection is gone already', async () => {
    ddb.on(DeleteCommand).resolves({});
    expect(await store().remove('c1', 'room:z')).toBeNull();
    expect(writes()).toEqual(['Delete conn#c1|meta', `Delete ${roomPk('room:z')}|conn#c1`]);
  });
});

describe('DynamoConnectionStore queries', () => {
  it('pages through subscribers with Query, skipping expired ones', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({
        Items: [
          { connectionId: 'a', userId: 'u1', expiresAt: 4_000_000_000 },
          { connectionId: 'old', expiresAt: 1 },
        ],
        LastEvaluatedKey: { pk: 'chan#user:u1', sk: 'conn#old' },
      })
      .resolvesOnce({ Items: [{ connectionId: 'b', replayedTo: 7, expiresAt: 4_000_000_000 }] });
    const pages: unknown[] = [];
    for await (const page of store().subscribers('user:u1', { pageSize: 2 })) pages.push(page);
    expect(pages).toEqual([
      [{ connectionId: 'a', userId: 'u1' }],
      [{ connectionId: 'b', userId: null, replayedTo: 7 }],
    ]);
    const second = ddb.commandCalls(QueryCommand)[1]?.args[0].input;
    expect(second).toMatchObject({ Limit: 2, ExclusiveStartKey: { pk: 'chan#user:u1', sk: 'conn#old' } });
  });

  it('reads every shard of a sharded channel at once, interleaving their pages; or one page of one shard', async () => {
    const released: (() => void)[] = [];
    ddb.on(QueryCommand).callsFake(async (input: { ExpressionAttributeValues: { ':pk': string } }) => {
      const pk = input.ExpressionAttributeValues[':pk'];
      // Each shard answers only once all eight were asked: a sequential reader would never finish.
      await new Promise<void>((resolve) => {
        released.push(resolve);
        if (released.length === 8) for (const r of released) r();
      });
      return { Items: [{ connectionId: `in-${pk}`, expiresAt: 4_000_000_000 }] };
    });
    const seen: string[] = [];
    for await (const page of store().subscribers('room:a')) seen.push(...page.map((s) => s.connectionId));
    expect(seen.sort()).toEqual(Array.from({ length: 8 }, (_, i) => `in-chan#room:a#${i}`).sort());

    ddb.reset();
    ddb.on(QueryCommand).resolves({
      Items: [{ connectionId: 'x', expiresAt: 4_000_000_000 }],
      LastEvaluatedKey: { pk: 'chan#room:a#3', sk: 'conn#x' },
    });
    expect(await store().subscriberPage('room:a', 3, { pageSize: 2, after: 'w' })).toEqual({
      subscribers: [{ connectionId: 'x', userId: null }],
      next: 'x',
    });
    expect(ddb.commandCalls(QueryCommand).map((c) => c.args[0].input)).toMatchObject([
      {
        ExpressionAttributeValues: { ':pk': 'chan#room:a#3', ':conn': 'conn#' },
        Limit: 2,
        ExclusiveStartKey: { pk: 'chan#room:a#3', sk: 'conn#w' },
      },
    ]);
    expect(await store().subscriberPage('room:a', 8, { pageSize: 2 })).toEqual({ subscribers: [] });
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(1); // no such shard: nothing, and no Query
    expect(store().subscriberShards('room:a')).toBe(8);
    expect(store().subscriberShards('user:u1')).toBe(1);
  });

  it('sums the stats over their shards in one consistent read', async () => {
    ddb.on(BatchGetCommand).resolves({
      Responses: {
        t: [
          { connections: 3, users: 1 },
          { connections: 2, channels: 4, users: -1 },
        ],
      },
    });
    expect(await store().stats()).toEqual({ connections: 5, channels: 4, users: 0 });
    const req = ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.t;
    expect(req?.Keys).toHaveLength(STATS_SHARDS);
    expect(req?.ConsistentRead).toBe(true);
  });

  it('counts frames per connection and minute window with an atomic ADD that expires', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { n: 42 } });
    expect(await store().countFrame('c1', 1_790_000_040)).toBe(42);
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: 'conn#c1', sk: 'rate#1790000040' },
      UpdateExpression: 'ADD n :one SET expiresAt = :exp',
      ExpressionAttributeValues: { ':one': 1, ':exp': 1_790_000_160 },
    });
  });
});

describe('DynamoMessageStore', () => {
  const store = () => new DynamoMessageStore(doc(), 't', clock);

  it('allocates seqs with an atomic ADD, noting when', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { seq: 8 } });
    expect(await store().nextSeq('room:a')).toBe(8);
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: 'seq#room:a', sk: 'seq' },
      UpdateExpression: 'ADD seq :one SET #at = :now',
      ExpressionAttributeValues: { ':one': 1, ':now': clock.now() },
      ReturnValues: 'UPDATED_NEW',
    });
  });

  it('writes a history entry once: a conditional put, and what the seq holds when it holds one', async () => {
    ddb.on(PutCommand).resolvesOnce({}).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: { seq: 3, frame: '{"type":"void"}' } });
    expect(await store().appendHistory('room:a', { seq: 3, frame: '{"n":3}', at: 5 }, null)).toBeNull();
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      Item: { pk: 'hist#room:a', sk: '000000000003', seq: 3, frame: '{"n":3}', at: 5 },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(await store().appendHistory('room:a', { seq: 3, frame: '{"n":3}' }, null)).toEqual({
      seq: 3,
      frame: '{"type":"void"}',
    });
  });

  it('reads history after a seq, oldest first, with a cursor while there is more', async () => {
    ddb.on(QueryCommand).resolves({
      Items: [
        { seq: 3, frame: '{"n":3}' },
        { seq: 4, frame: '{"n":4}' },
      ],
      LastEvaluatedKey: { pk: 'hist#room:a', sk: '000000000004' },
    });
    expect(await store().history('room:a', 2, 2)).toEqual({
      entries: [
        { seq: 3, frame: '{"n":3}' },
        { seq: 4, frame: '{"n":4}' },
      ],
      next: 4,
    });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      KeyConditionExpression: 'pk = :pk AND sk > :after',
      ExpressionAttributeValues: { ':pk': 'hist#room:a', ':after': '000000000002' },
      Limit: 2,
    });
  });
});

describe('DynamoIdempotencyStore', () => {
  const store = () => new DynamoIdempotencyStore(doc(), 't');
  const claim = { fingerprint: 'f1', staleAfterMs: 60_000, owner: 'o2' };

  it('claims a fresh idempotency key with a conditional put that also replaces an expired record', async () => {
    ddb.on(PutCommand).resolves({});
    expect(await store().claim('k', { ...claim, id: 'm1', now: 1_000_000 })).toEqual({
      claimed: true,
      id: 'm1',
      startedAt: 1_000_000,
      reserved: {},
    });
    const put = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put?.ConditionExpression).toBe('attribute_not_exists(pk) OR expiresAt < :nowSec');
    expect(put?.ExpressionAttributeValues).toEqual({ ':nowSec': 1000 });
    expect(put?.Item).toMatchObject({
      pk: 'idem#k',
      state: 'pending',
      id: 'm1',
      fingerprint: 'f1',
      owner: 'o2',
      createdAt: 1_000_000,
      startedAt: 1_000_000,
      seqs: {},
      expiresAt: 1000 + 86_400,
    });
  });

  it('answers a repeat with the stored result and what the first request was', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({
      Item: { state: 'done', id: 'm1', fingerprint: 'f0', createdAt: 5, result: { seq: 3 } },
    });
    expect(await store().claim('k', { ...claim, id: 'm2', now: 10 })).toEqual({
      claimed: false,
      state: 'done',
      id: 'm1',
      fingerprint: 'f0',
      createdAt: 5,
      result: { seq: 3 },
    });
  });

  it('reads a record written before fingerprints were kept as one without a fingerprint', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: { state: 'done', id: 'm1', createdAt: 5, result: {} } });
    expect(await store().claim('k', { ...claim, id: 'm2', now: 10 })).toMatchObject({
      state: 'done',
      fingerprint: undefined,
    });
  });

  it('answers a repeat while the first is in flight as pending, with the first id', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: { state: 'pending', id: 'm1', createdAt: 5, owner: 'o1' } });
    expect(await store().claim('k', { ...claim, id: 'm2', now: 10 })).toMatchObject({
      claimed: false,
      state: 'pending',
      id: 'm1',
    });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('takes a stale claim of the same request over: its id, first time and reservations, if still as read', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    const dead = {
      state: 'pending',
      id: 'm1',
      fingerprint: 'f1',
      owner: 'o1',
      createdAt: 5,
      startedAt: 5,
      seqs: { 'room:a': 7 },
    };
    ddb.on(GetCommand).resolves({ Item: dead });
    ddb.on(UpdateCommand).resolves({});
    expect(await store().claim('k', { ...claim, id: 'm2', now: 70_000 })).toEqual({
      claimed: true,
      id: 'm1',
      startedAt: 5,
      reserved: { 'room:a': 7 },
    });
    const update = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update?.ConditionExpression).toBe(
      '#state = :pending AND createdAt = :seenAt AND #owner = :seenOwner',
    );
    expect(update?.ExpressionAttributeValues).toMatchObject({
      ':me': 'o2',
      ':seenAt': 5,
      ':seenOwner': 'o1',
    });
  });

  it('does not take over a stale claim of another request: pending, with its fingerprint', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb
      .on(GetCommand)
      .resolves({ Item: { state: 'pending', id: 'm1', fingerprint: 'f0', owner: 'o1', createdAt: 5 } });
    expect(await store().claim('k', { ...claim, id: 'm2', now: 70_000 })).toMatchObject({
      claimed: false,
      state: 'pending',
      fingerprint: 'f0',
    });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('reserves, completes and releases only as the owner; a release with reservations leaves them, stale', async () => {
    ddb.on(UpdateCommand).resolves({});
    ddb.on(DeleteCommand).rejects(conditionFailed());
    expect(await store().reserve('k', 'o1', 'room:a', 7)).toBe(true);
    const reserve = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(reserve).toMatchObject({
      UpdateExpression: 'SET seqs.#channel = :seq',
      ConditionExpression: '#owner = :me AND #state = :pending',
      ExpressionAttributeNames: { '#channel': 'room:a' },
      ExpressionAttributeValues: { ':seq': 7, ':me': 'o1' },
    });
    await store().release('k', 'o1');
    const stale = ddb.commandCalls(UpdateCommand)[1]?.args[0].input;
    expect(stale).toMatchObject({ UpdateExpression: 'SET createdAt = :long_ago' });
    ddb.on(UpdateCommand).rejects(conditionFailed());
    expect(await store().complete('k', 'o1', { ok: true }, 9)).toBe(false);
  });
});
