import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Principal } from '../../core/auth/principal';
import {
  ChannelLimitError,
  type Clock,
  ConnectionGoneError,
  type ConnectionRecord,
  type ConnectionStore,
  type RemovedConnection,
  type SubscribeResult,
  type Subscriber,
  type SubscriberQuery,
  type UnsubscribeResult,
} from '../../core/ports';
import { isConditionalCheckFailed } from './client';
import { keys } from './table';

export interface Stats {
  connections: number;
  channels: number;
  users: number;
}

/**
 * Connections, subscriptions and the counts kept beside them, in the one table:
 *   conn#{id} / meta          the connection, with its channels as a string set
 *   chan#{channel} / conn#{id} a subscription (the fan-out Query reads this partition)
 *   chan#{channel} / count     connections on the channel
 *   user#{sub} / conn#{id}     the user's connections; user#{sub} / count
 *   stats / global             connections, channels with a subscriber, users with a connection
 * No transactions (dynalite has none): each step is a single-item write ordered so that a crash or a race
 * leaves at worst an orphan subscription, which fan-out removes on its 410 and TTL removes anyway.
 */
export class DynamoConnectionStore implements ConnectionStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async put(record: ConnectionRecord): Promise<void> {
    const { principal: p } = record;
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.connection(record.connectionId),
          connectionId: record.connectionId,
          sub: p.sub ?? undefined,
          username: p.username,
          orgs: p.orgs,
          scopes: p.scopes,
          exp: p.exp ?? undefined,
          connectedAt: record.connectedAt,
          expiresAt: record.expiresAt,
          sourceIp: record.sourceIp,
          userAgent: record.userAgent,
          ...(record.channels.length > 0 ? { channels: new Set(record.channels) } : {}),
        },
      }),
    );
    await this.bumpStat('connections', 1);
    if (p.sub !== null) {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.userConnection(p.sub, record.connectionId), expiresAt: record.expiresAt },
        }),
      );
      if ((await this.add(keys.userCount(p.sub), 1)) === 1) await this.bumpStat('users', 1);
    }
  }

  async get(connectionId: string): Promise<ConnectionRecord | null> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.connection(connectionId), ConsistentRead: true }),
    );
    return Item ? toRecord(Item) : null;
  }

  async remove(connectionId: string, channelHint?: string): Promise<RemovedConnection | null> {
    const { Attributes } = await this.db.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: keys.connection(connectionId),
        ReturnValues: 'ALL_OLD',
      }),
    );
    if (!Attributes) {
      if (channelHint) await this.deleteSubscription(channelHint, connectionId);
      return null;
    }
    const record = toRecord(Attributes);
    const channels = new Set(record.channels);
    if (channelHint) channels.add(channelHint);
    const remaining: RemovedConnection['remaining'] = [];
    for (const channel of channels) {
      const count = await this.deleteSubscription(channel, connectionId);
      if (count !== null) remaining.push({ channel, count });
    }
    await this.bumpStat('connections', -1);
    const { sub } = record.principal;
    if (sub !== null) {
      await this.db.send(
        new DeleteCommand({ TableName: this.tableName, Key: keys.userConnection(sub, connectionId) }),
      );
      if ((await this.add(keys.userCount(sub), -1)) <= 0) {
        await this.bumpStat('users', -1);
        await this.deleteIfZero(keys.userCount(sub));
      }
    }
    return { record, remaining };
  }

  /**
   * Subscription item first, then the count, then the channel in the connection's set, conditioned on the
   * connection still being there and under its channel limit; a failed last step undoes the first two.
   */
  async subscribe(
    connectionId: string,
    channel: string,
    maxChannels: number,
    options: { replayPending?: boolean } = {},
  ): Promise<SubscribeResult> {
    const record = await this.get(connectionId);
    if (!record) throw new ConnectionGoneError(connectionId);
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.subscription(channel, connectionId),
            connectionId,
            userId: record.principal.sub ?? undefined,
            username: record.principal.username,
            expiresAt: record.expiresAt,
            ...(options.replayPending ? { replayPending: true } : {}),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error))
        return { added: false, count: await this.countSubscribers(channel) };
      throw error;
    }
    const count = await this.add(keys.channelCount(channel), 1);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.connection(connectionId),
          UpdateExpression: 'ADD channels :c',
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(channels) OR size(channels) < :max)',
          ExpressionAttributeValues: { ':c': new Set([channel]), ':max': maxChannels },
        }),
      );
    } catch (error) {
      await this.deleteSubscription(channel, connectionId);
      if (!isConditionalCheckFailed(error)) throw error;
      if (await this.get(connectionId)) throw new ChannelLimitError(`${maxChannels} channels`);
      throw new ConnectionGoneError(connectionId);
    }
    if (count === 1) await this.bumpStat('channels', 1);
    return { added: true, count };
  }

  async unsubscribe(connectionId: string, channel: string): Promise<UnsubscribeResult> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.connection(connectionId),
          UpdateExpression: 'DELETE channels :c',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':c': new Set([channel]) },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    const count = await this.deleteSubscription(channel, connectionId);
    return count === null
      ? { removed: false, count: await this.countSubscribers(channel) }
      : { removed: true, count };
  }

  async setReplayedTo(connectionId: string, channel: string, seq: number): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.subscription(channel, connectionId),
          UpdateExpression: 'SET replayedTo = :s REMOVE replayPending',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':s': seq },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  /** Unsharded: one partition per channel. */
  subscriberShards(_channel: string): number {
    return 1;
  }

  async *subscribers(channel: string, query: SubscriberQuery = {}): AsyncIterable<Subscriber[]> {
    const pageSize = query.pageSize ?? 1000;
    let start: Record<string, unknown> | undefined;
    const nowSec = this.clock.now() / 1000;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :conn)',
          ExpressionAttributeValues: { ':pk': keys.subscriptionPartition(channel), ':conn': 'conn#' },
          ProjectionExpression: 'connectionId, userId, username, replayedTo, replayPending, expiresAt',
          Limit: pageSize,
          ExclusiveStartKey: start,
        }),
      );
      start = page.LastEvaluatedKey;
      const subs: Subscriber[] = [];
      for (const item of page.Items ?? []) {
        if (typeof item.expiresAt === 'number' && item.expiresAt < nowSec) continue;
        subs.push(toSubscriber(item));
      }
      if (subs.length > 0) yield subs;
    } while (start);
  }

  async getSubscription(channel: string, connectionId: string): Promise<Subscriber | null> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.subscription(channel, connectionId),
        ConsistentRead: true,
      }),
    );
    return Item ? toSubscriber(Item) : null;
  }

  async countSubscribers(channel: string): Promise<number> {
    return this.readCount(keys.channelCount(channel));
  }

  async connectionsOfUser(userId: string): Promise<string[]> {
    const ids: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :conn)',
          ExpressionAttributeValues: { ':pk': keys.userPartition(userId), ':conn': 'conn#' },
          ExclusiveStartKey: start,
        }),
      );
      start = page.LastEvaluatedKey;
      for (const item of page.Items ?? []) ids.push(String(item.sk).slice('conn#'.length));
    } while (start);
    return ids;
  }

  async countFrame(connectionId: string, windowStart: number): Promise<number> {
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.rateWindow(connectionId, windowStart),
        UpdateExpression: 'ADD n :one SET expiresAt = :exp',
        ExpressionAttributeValues: { ':one': 1, ':exp': windowStart + 120 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(Attributes?.n ?? 0);
  }

  async stats(): Promise<Stats> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.stats() }));
    const n = (k: string) => Math.max(0, Number(Item?.[k] ?? 0));
    return { connections: n('connections'), channels: n('channels'), users: n('users') };
  }

  /** Deletes one subscription; resolves the channel's remaining count, or null if it was not there. */
  private async deleteSubscription(channel: string, connectionId: string): Promise<number | null> {
    const { Attributes } = await this.db.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: keys.subscription(channel, connectionId),
        ReturnValues: 'ALL_OLD',
      }),
    );
    if (!Attributes) return null;
    const count = await this.add(keys.channelCount(channel), -1);
    if (count <= 0) {
      await this.bumpStat('channels', -1);
      await this.deleteIfZero(keys.channelCount(channel));
    }
    return Math.max(0, count);
  }

  private async add(key: { pk: string; sk: string }, by: number): Promise<number> {
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: 'ADD cnt :by',
        ExpressionAttributeValues: { ':by': by },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(Attributes?.cnt ?? 0);
  }

  private async readCount(key: { pk: string; sk: string }): Promise<number> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key }));
    return Math.max(0, Number(Item?.cnt ?? 0));
  }

  /** A count item that reached zero goes, unless a concurrent join has raised it again. */
  private async deleteIfZero(key: { pk: string; sk: string }): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: key,
          ConditionExpression: 'cnt <= :zero',
          ExpressionAttributeValues: { ':zero': 0 },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  private async bumpStat(name: keyof Stats, by: number): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.stats(),
        UpdateExpression: 'ADD #n :by',
        ExpressionAttributeNames: { '#n': name },
        ExpressionAttributeValues: { ':by': by },
      }),
    );
  }
}

function toSubscriber(item: Record<string, unknown>): Subscriber {
  return {
    connectionId: String(item.connectionId),
    userId: typeof item.userId === 'string' ? item.userId : null,
    ...(typeof item.username === 'string' ? { username: item.username } : {}),
    ...(typeof item.replayedTo === 'number' ? { replayedTo: item.replayedTo } : {}),
    ...(item.replayPending === true ? { replayPending: true } : {}),
  };
}

function toRecord(item: Record<string, unknown>): ConnectionRecord {
  const sub = typeof item.sub === 'string' ? item.sub : null;
  const principal: Principal = {
    sub,
    username: typeof item.username === 'string' ? item.username : (sub ?? 'Anonymous'),
    orgs: stringList(item.orgs),
    scopes: stringList(item.scopes),
    exp: typeof item.exp === 'number' ? item.exp : null,
  };
  return {
    connectionId: String(item.connectionId),
    principal,
    channels: stringList(item.channels).sort(),
    connectedAt: Number(item.connectedAt),
    expiresAt: Number(item.expiresAt),
    ...(typeof item.sourceIp === 'string' ? { sourceIp: item.sourceIp } : {}),
    ...(typeof item.userAgent === 'string' ? { userAgent: item.userAgent } : {}),
  };
}

const stringList = (v: unknown): string[] =>
  v instanceof Set || Array.isArray(v) ? [...v].filter((x): x is string => typeof x === 'string') : [];
