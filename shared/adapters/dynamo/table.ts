import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The one table's definition. infra/ builds the CDK table from it and local/ creates the local table from
 * it, so both always agree on keys and the TTL attribute.
 */
export const table = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
} as const;

export function createTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: table.partitionKey, AttributeType: 'S' },
      { AttributeName: table.sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: table.partitionKey, KeyType: 'HASH' },
      { AttributeName: table.sortKey, KeyType: 'RANGE' },
    ],
  };
}

/**
 * Item keys (docs/dynamodb.md is the same list in prose). Every access pattern is a GetItem, a Query on one partition, or an
 * update of one item: nothing on a request path Scans.
 */
export const keys = {
  connection: (id: string) => ({ pk: `conn#${id}`, sk: 'meta' }),
  rateWindow: (id: string, windowStart: number) => ({ pk: `conn#${id}`, sk: `rate#${windowStart}` }),
  subscription: (channel: string, connectionId: string) => ({
    pk: `chan#${channel}`,
    sk: `conn#${connectionId}`,
  }),
  subscriptionPartition: (channel: string) => `chan#${channel}`,
  channelCount: (channel: string) => ({ pk: `chan#${channel}`, sk: 'count' }),
  userConnection: (userId: string, connectionId: string) => ({
    pk: `user#${userId}`,
    sk: `conn#${connectionId}`,
  }),
  userPartition: (userId: string) => `user#${userId}`,
  userCount: (userId: string) => ({ pk: `user#${userId}`, sk: 'count' }),
  stats: () => ({ pk: 'stats', sk: 'global' }),
  seq: (channel: string) => ({ pk: `seq#${channel}`, sk: 'seq' }),
  history: (channel: string, seq: number) => ({ pk: `hist#${channel}`, sk: padSeq(seq) }),
  historyPartition: (channel: string) => `hist#${channel}`,
  idempotency: (key: string) => ({ pk: `idem#${key}`, sk: 'idem' }),
  chatMember: (chatId: string, userId: string) => ({ pk: `chat#${chatId}`, sk: `member#${userId}` }),
  chatMeta: (chatId: string) => ({ pk: `chat#${chatId}`, sk: 'meta' }),
  chatPartition: (chatId: string) => `chat#${chatId}`,
  device: (id: string) => ({ pk: `device#${id}`, sk: 'meta' }),
  sensor: (id: string) => ({ pk: `sensor#${id}`, sk: 'meta' }),
  /** `{ISO 8601 UTC, ms}#{reading id}`: string order is time order, and two readings never share a key. */
  reading: (sensorId: string, timestamp: string, id: string) => ({
    pk: `reading#${sensorId}`,
    sk: `${timestamp}#${id}`,
  }),
  readingPartition: (sensorId: string) => `reading#${sensorId}`,
  counter: (name: string) => ({ pk: `counter#${name}`, sk: 'value' }),
  livePushConfig: () => ({ pk: 'config#live-push', sk: 'config' }),
  livePushSlot: (generation: number, slot: number) => ({
    pk: `live-push#${generation}`,
    sk: `slot#${padSeq(slot)}`,
  }),
} as const;

/** Sort keys of history are zero-padded so that string order is numeric order. */
export const padSeq = (seq: number): string => String(seq).padStart(12, '0');
