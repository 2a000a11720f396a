/**
 * The one table's definition. infra/ builds the CDK table from it and local/ creates the local table from
 * it, so both always agree on keys and the TTL attribute.
 */
export const table = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
} as const;

/** A CreateTable request for the table (a narrow CreateTableCommandInput: shared/ imports no DynamoDB SDK). */
export interface CreateTableInput {
  TableName: string;
  BillingMode: 'PAY_PER_REQUEST';
  AttributeDefinitions: { AttributeName: string; AttributeType: 'S' | 'N' | 'B' }[];
  KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
}

export function createTableInput(tableName: string): CreateTableInput {
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

const channelPartition = (channel: string, { shard, shards }: Shard): string =>
  shards === 1 ? `chan#${channel}` : `chan#${channel}#${shard}`;

/**
 * Item keys (docs/dynamodb.md is the same list in prose). Every access pattern is a GetItem, a Query on one partition, or an
 * update of one item: nothing on a request path Scans.
 */
export const keys = {
  connection: (id: string) => ({ pk: `conn#${id}`, sk: 'meta' }),
  rateWindow: (id: string, windowStart: number) => ({ pk: `conn#${id}`, sk: `rate#${windowStart}` }),
  /** A subscription, in its shard: `chan#{channel}` when the channel has one shard, else `chan#{channel}#{shard}`. */
  subscription: (channel: string, shard: Shard, connectionId: string) => ({
    pk: channelPartition(channel, shard),
    sk: `conn#${connectionId}`,
  }),
  subscriptionPartition: (channel: string, shard: Shard) => channelPartition(channel, shard),
  /** The connections of one shard of a channel (the channel's count is the sum over its shards). */
  channelCount: (channel: string, shard: Shard) => ({
    pk: channelPartition(channel, shard),
    sk: 'count',
  }),
  /** How many of a sharded channel's shards have a connection (`channels` in the stats counts the channel while > 0). */
  channelShards: (channel: string) => ({ pk: `chan#${channel}`, sk: 'shards' }),
  userConnection: (userId: string, connectionId: string) => ({
    pk: `user#${userId}`,
    sk: `conn#${connectionId}`,
  }),
  userPartition: (userId: string) => `user#${userId}`,
  userCount: (userId: string) => ({ pk: `user#${userId}`, sk: 'count' }),
  /** One of STATS_SHARDS shards of the totals (GET /v1/stats sums them). */
  stats: (shard: number) => ({ pk: `stats#${shard}`, sk: 'global' }),
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

/** Which of a channel's `shards` partitions an item is in (`shard` < `shards`). */
export interface Shard {
  shard: number;
  shards: number;
}

/**
 * The totals of GET /v1/stats are spread over this many items, each written by the connections whose id
 * hashes to it, and read together: 16 partitions take ~16,000 connects and disconnects a second.
 */
export const STATS_SHARDS = 16;

/** Sort keys of history are zero-padded so that string order is numeric order. */
export const padSeq = (seq: number): string => String(seq).padStart(12, '0');
