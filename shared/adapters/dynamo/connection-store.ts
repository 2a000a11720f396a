import type { Principal } from '../../core/auth/principal';
import { shardOf } from '../../core/channels';
import {
  ChannelLimitError,
  type Clock,
  ConnectAbandonedError,
  ConnectionGoneError,
  type ConnectionRecord,
  type ConnectionStore,
  type PutOptions,
  type PutResult,
  type RemovedConnection,
  type SubscribeResult,
  type Subscriber,
  type SubscriberPage,
  type SubscriberPageQuery,
  type SubscriberQuery,
  type UnsubscribeResult,
} from '../../core/ports';
import { batchWrite } from './batch-write';
import { isConditionalCheckFailed } from './client';
import { type AtomicCounters, all, ConnectionCounts, type ItemKey, StatsBatch, TotalsError } from './counts';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  DeleteCommand,
  type DocumentClient,
  GetCommand,
  type NativeItem,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from './document-client';
import { keys, type Shard, STATS_SHARDS } from './table';

export interface Stats {
  connections: number;
  channels: number;
  users: number;
}

/**
 * Connections, subscriptions and the counts kept beside them, in the one table (docs/dynamodb.md):
 *   conn#{id} / meta                 the connection, with its channels as a string set
 *   chan#{channel}[#{shard}] / conn#{id}   a subscription, in the shard its connection id hashes to
 *   chan#{channel}[#{shard}] / count  connections in that shard (a channel's count is the sum)
 *   chan#{channel} / shards          of a sharded channel: how many of its shards have a connection
 *   user#{sub} / conn#{id}           the user's connections; user#{sub} / count
 *   stats#{0..15} / global           connections, channels with a subscriber, users with a connection
 * A channel of one shard (its namespace says, shared/core/channels.ts) keeps the unsuffixed partition.
 * No transactions (dynalite has none): each counted item is written before its count moves, and only
 * whoever deletes it moves the count back (counts.ts proves the totals exact under any concurrency).
 */
export class DynamoConnectionStore implements ConnectionStore {
  readonly #counts: ConnectionCounts;

  constructor(
    private readonly db: DocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
    /** How many shards a channel has (ChannelRegistry.subscriberShards). */
    private readonly shardsOf: (channel: string) => number,
  ) {
    this.#counts = new ConnectionCounts(dynamoCounters(db, tableName), keys);
  }

  subscriberShards(channel: string): number {
    return this.shardsOf(channel);
  }

  /**
   * The connection record, its subscriptions and the user's index entry in one BatchWriteItem (one
   * PutItem when there is only the record); then, all at once, each subscription's shard count and the
   * user's count, and the stats in one write. A failed step, or `stop()` after the writes or the counts,
   * undoes it all before throwing. The record need not be written before the subscriptions: a post answered
   * 410 decides from the subscription's own `connectedAt` whether its connection may still be connecting
   * (delivery/post.ts `removeGone`), and the items of one batch are written within the same request.
   */
  async put(record: ConnectionRecord, options: PutOptions = {}): Promise<PutResult> {
    const stop = options.stop ?? (() => false);
    const { principal: p, connectionId: id } = record;
    // Started before the joins are written and waited for last, so that it adds no step of its own.
    const others = this.#otherShards(id, options.count ?? []);
    await this.#write(record);
    let counted = false;
    let failure: unknown;
    const joined: Record<string, number> = {};
    if (!stop()) {
      const sub = p.sub;
      const stats = new StatsBatch(statsShardOf(id));
      try {
        await all([
          ...record.channels.map(async (channel) => {
            const shard = this.#shard(channel, id);
            const key = keys.subscription(channel, shard, id);
            // Itself included, whatever a concurrent leave's decrement did to the shard meanwhile.
            const n = await this.#counted(key, () => this.#counts.joined(channel, shard, stats));
            joined[channel] = Math.max(1, n);
          }),
          sub === null
            ? undefined
            : this.#counted(keys.userConnection(sub, id), () => this.#counts.userConnected(sub, stats)),
        ]);
      } catch (error) {
        failure = error;
      }
      // The connection and what its joins moved, in one stats write, even after a failure: the undo
      // subtracts its own downs from these ups.
      stats.add({ connections: 1 });
      try {
        await this.#counts.flush(stats);
        counted = true;
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure === undefined && !stop()) {
      const counts: Record<string, number> = {};
      for (const [channel, rest] of Object.entries((await others) ?? {})) {
        const own = joined[channel];
        if (own !== undefined) counts[channel] = Math.max(1, own + rest);
      }
      return { joined, counts };
    }
    await all([
      this.db.send(new DeleteCommand({ TableName: this.tableName, Key: keys.connection(id) })),
      this.#release(record, record.channels, counted),
    ]);
    throw failure ?? new ConnectAbandonedError(`connection ${id}: out of time; its writes were undone`);
  }

  /**
   * For each channel, the sum of the counts of its shards but the connection's, in one BatchGetItem (up to
   * 100 keys). Resolves, never rejects: a channel it could not read is left out, and the after-connect
   * Lambda reads its count itself.
   */
  async #otherShards(connectionId: string, channels: readonly string[]): Promise<Record<string, number>> {
    const channelOf = new Map<string, string>();
    const itemKeys: ItemKey[] = [];
    for (const channel of channels) {
      const { shard: mine, shards } = this.#shard(channel, connectionId);
      if (shards === 1) continue;
      for (const [shard, key] of this.#countKeys(channel).entries()) {
        if (shard === mine) continue;
        channelOf.set(key.pk, channel);
        itemKeys.push(key);
      }
    }
    if (itemKeys.length === 0 || itemKeys.length > BATCH_GET_MAX) return {};
    try {
      const rest: Record<string, number> = {};
      for (const channel of channelOf.values()) rest[channel] = 0;
      for (const item of await this.#getAll(itemKeys)) {
        const channel = channelOf.get(String(item.pk));
        if (channel !== undefined) rest[channel] = (rest[channel] ?? 0) + Number(item.cnt ?? 0);
      }
      return rest;
    } catch {
      return {};
    }
  }

  /**
   * A new connection's record, subscriptions and user index entry, in BatchWriteItem calls (one for up to
   * 23 channels): unconditional, since a connection id is new at `$connect` and nothing else writes its
   * items before its record lists them. If the batch fails, what it may have written goes again, uncounted
   * (nothing counted it yet), and the error is thrown.
   */
  async #write(record: ConnectionRecord): Promise<void> {
    const { principal: p, connectionId: id } = record;
    const items: NativeItem[] = [
      this.#recordItem(record),
      ...record.channels.map((channel) => this.#subscriptionItem(record, channel, this.#shard(channel, id))),
    ];
    if (p.sub !== null) items.push({ ...keys.userConnection(p.sub, id), expiresAt: record.expiresAt });
    const [only] = items;
    if (items.length === 1 && only) {
      // The record alone (no channel, anonymous) is a plain PutItem: the cheaper request.
      await this.db.send(new PutCommand({ TableName: this.tableName, Item: only }));
      return;
    }
    try {
      const puts = items.map((Item) => ({ PutRequest: { Item } }));
      await batchWrite(this.db, this.tableName, puts, this.clock);
    } catch (error) {
      await batchWrite(
        this.db,
        this.tableName,
        items.map(({ pk, sk }) => ({ DeleteRequest: { Key: { pk, sk } } })),
        this.clock,
      ).catch(() => undefined); // left behind, uncounted: they expire with the connection (TTL)
      throw error;
    }
  }

  #recordItem(record: ConnectionRecord): NativeItem {
    const { principal: p, connectionId: id } = record;
    return {
      ...keys.connection(id),
      connectionId: id,
      sub: p.sub ?? undefined,
      username: p.username,
      orgs: p.orgs,
      scopes: p.scopes,
      exp: p.exp ?? undefined,
      connectedAt: record.connectedAt,
      expiresAt: record.expiresAt,
      sourceIp: record.sourceIp,
      userAgent: record.userAgent,
      dialect: record.dialect,
      ...(record.channels.length > 0 ? { channels: new Set(record.channels) } : {}),
    };
  }

  #subscriptionItem(
    record: ConnectionRecord,
    channel: string,
    shard: Shard,
    options: { replayPending?: boolean } = {},
  ) {
    const { connectionId, principal } = record;
    return {
      ...keys.subscription(channel, shard, connectionId),
      connectionId,
      userId: principal.sub ?? undefined,
      username: principal.username,
      expiresAt: record.expiresAt,
      dialect: record.dialect,
      connectedAt: record.connectedAt,
      ...(options.replayPending ? { replayPending: true } : {}),
    };
  }

  async get(connectionId: string): Promise<ConnectionRecord | null> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.connection(connectionId), ConsistentRead: true }),
    );
    return Item ? toRecord(Item) : null;
  }

  /** The record first (ReturnValues says which channels it had), then everything else at once. */
  async remove(connectionId: string, channelHint?: string): Promise<RemovedConnection | null> {
    const Attributes = await this.#take(keys.connection(connectionId));
    if (!Attributes) {
      if (channelHint) await this.#withStats(connectionId, (s) => this.#leave(channelHint, connectionId, s));
      return null;
    }
    const record = toRecord(Attributes);
    const channels = new Set(record.channels);
    if (channelHint) channels.add(channelHint);
    return { record, left: await this.#release(record, channels, true) };
  }

  /**
   * Subscription item first, then its shard's count, then the channel in the connection's set, conditioned
   * on the connection still being there and under its channel limit; a failed last step undoes the first two.
   */
  async subscribe(
    connectionId: string,
    channel: string,
    maxChannels: number,
    options: { replayPending?: boolean } = {},
  ): Promise<SubscribeResult> {
    const record = await this.get(connectionId);
    if (!record) throw new ConnectionGoneError(connectionId);
    const n = await this.#withStats(connectionId, (s) => this.#join(record, channel, s, options));
    if (n === null) return { added: false, count: await this.countSubscribers(channel) };
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
      await this.#withStats(connectionId, (s) => this.#leave(channel, connectionId, s));
      if (!isConditionalCheckFailed(error)) throw error;
      if (await this.get(connectionId)) throw new ChannelLimitError(`${maxChannels} channels`);
      throw new ConnectionGoneError(connectionId);
    }
    // Itself included, whatever a concurrent leave's decrement did to the sum meanwhile.
    const count = this.shardsOf(channel) === 1 ? n : await this.countSubscribers(channel);
    return { added: true, count: Math.max(1, count) };
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
    const n = await this.#withStats(connectionId, (s) => this.#leave(channel, connectionId, s));
    const count = n !== null && this.shardsOf(channel) === 1 ? n : await this.countSubscribers(channel);
    return { removed: n !== null, count: Math.max(0, count) };
  }

  async setReplayedTo(connectionId: string, channel: string, seq: number): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.subscription(channel, this.#shard(channel, connectionId), connectionId),
          UpdateExpression: 'SET replayedTo = :s REMOVE replayPending',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':s': seq },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  async *subscribers(channel: string, query: SubscriberQuery = {}): AsyncIterable<Subscriber[]> {
    const shards = this.shardsOf(channel);
    const pageSize = query.pageSize ?? 1000;
    yield* interleave(
      Array.from({ length: shards }, (_, shard) => this.#shardPages(channel, { shard, shards }, pageSize)),
    );
  }

  async subscriberPage(channel: string, shard: number, query: SubscriberPageQuery): Promise<SubscriberPage> {
    const { pageSize, after } = query;
    const shards = this.shardsOf(channel);
    if (!(Number.isInteger(shard) && shard >= 0 && shard < shards)) return { subscribers: [] };
    const s = { shard, shards };
    // A key need not exist to start after it: a connection gone since still marks the place.
    const start = after === undefined ? undefined : keys.subscription(channel, s, after);
    const page = await this.#queryPage(channel, s, pageSize, start);
    const sk = page.next?.sk;
    return {
      subscribers: page.subscribers,
      ...(typeof sk === 'string' && sk.startsWith('conn#') ? { next: sk.slice('conn#'.length) } : {}),
    };
  }

  async getSubscription(channel: string, connectionId: string): Promise<Subscriber | null> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.subscription(channel, this.#shard(channel, connectionId), connectionId),
        ConsistentRead: true,
      }),
    );
    return Item ? toSubscriber(Item) : null;
  }

  /** The sum of the channel's shard counts, read consistently in one request. */
  async countSubscribers(channel: string): Promise<number> {
    const items = await this.#getAll(this.#countKeys(channel));
    return Math.max(0, sum(items, 'cnt'));
  }

  /** The count items of a channel's shards, in shard order. */
  #countKeys(channel: string): ItemKey[] {
    const shards = this.shardsOf(channel);
    return Array.from({ length: shards }, (_, shard) => keys.channelCount(channel, { shard, shards }));
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

  /** The totals: the sum of the STATS_SHARDS stats items, read consistently in one request. */
  async stats(): Promise<Stats> {
    const items = await this.#getAll(Array.from({ length: STATS_SHARDS }, (_, s) => keys.stats(s)));
    const n = (k: keyof Stats) => Math.max(0, sum(items, k));
    return { connections: n('connections'), channels: n('channels'), users: n('users') };
  }

  #shard(channel: string, connectionId: string): Shard {
    const shards = this.shardsOf(channel);
    return { shard: shardOf(connectionId, shards), shards };
  }

  /**
   * Stores a subscription and counts it; null when it was there already. A count that did not move takes
   * its item back out, so that an undo (which subtracts every item it finds) stays exact.
   */
  async #join(
    record: ConnectionRecord,
    channel: string,
    stats: StatsBatch,
    options: { replayPending?: boolean } = {},
  ): Promise<number | null> {
    const shard = this.#shard(channel, record.connectionId);
    const item = this.#subscriptionItem(record, channel, shard, options);
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return null;
      throw error;
    }
    return this.#counted({ pk: item.pk, sk: item.sk }, () => this.#counts.joined(channel, shard, stats));
  }

  /** Deletes one subscription and, if this call deleted it, counts it out: its shard's new count, or null. */
  async #leave(channel: string, connectionId: string, stats: StatsBatch): Promise<number | null> {
    const shard = this.#shard(channel, connectionId);
    if (!(await this.#take(keys.subscription(channel, shard, connectionId)))) return null;
    return this.#counts.left(channel, shard, stats);
  }

  async #unindexUser(sub: string, connectionId: string, stats: StatsBatch): Promise<void> {
    if (await this.#take(keys.userConnection(sub, connectionId)))
      await this.#counts.userDisconnected(sub, stats);
  }

  /**
   * Deletes an item and resolves it if this call is the one that deleted it, else undefined: who deletes a
   * counted item counts it out. Conditional on purpose: DynamoDB makes a plain delete's ALL_OLD exclusive,
   * but DynamoDB Local does not — two concurrent DeleteItems of one item both got ALL_OLD in 1,321 of 1,500
   * tries (none with the condition), and a DELETE /v1/connections racing its own `$disconnect` counted the
   * connection's subscriptions out twice: a room's count went to −1 and its `user_left` was never sent.
   */
  async #take(key: { pk: string; sk: string }): Promise<NativeItem | undefined> {
    try {
      const { Attributes } = await this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: key,
          ReturnValues: 'ALL_OLD',
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
      return Attributes;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  /** Runs `count` for a stored item; if the count itself failed, the item goes again (uncounted). */
  async #counted<T>(key: { pk: string; sk: string }, count: () => Promise<T>): Promise<T> {
    try {
      return await count();
    } catch (error) {
      if (!(error instanceof TotalsError)) {
        try {
          await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: key }));
        } catch {
          // Left behind, uncounted: it expires with the connection (TTL).
        }
      }
      throw error;
    }
  }

  /**
   * Everything of a connection but its record: each subscription and its user's index entry, all at once,
   * then the stats (the connection too when `counted`) in one write. Resolves the channels whose
   * subscription it deleted.
   */
  async #release(record: ConnectionRecord, channels: Iterable<string>, counted: boolean): Promise<string[]> {
    const { connectionId, principal } = record;
    const list = [...channels];
    const deleted = list.map(() => false);
    await this.#withStats(connectionId, async (stats) => {
      if (counted) stats.add({ connections: -1 });
      await all([
        ...list.map(async (channel, i) => {
          deleted[i] = (await this.#leave(channel, connectionId, stats)) !== null;
        }),
        principal.sub === null ? undefined : this.#unindexUser(principal.sub, connectionId, stats),
      ]);
    });
    return list.filter((_, i) => deleted[i]);
  }

  /**
   * Runs `fn` with the stats batch of the connection's stats shard, then writes what it gathered — also
   * when `fn` failed part-way (its first error is the one thrown): the counts it did move stay matched.
   */
  async #withStats<T>(connectionId: string, fn: (stats: StatsBatch) => Promise<T>): Promise<T> {
    const stats = new StatsBatch(statsShardOf(connectionId));
    let result: T;
    try {
      result = await fn(stats);
    } catch (error) {
      await this.#counts.flush(stats).catch(() => undefined);
      throw error;
    }
    await this.#counts.flush(stats);
    return result;
  }

  async *#shardPages(channel: string, shard: Shard, pageSize: number): AsyncIterable<Subscriber[]> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#queryPage(channel, shard, pageSize, start);
      start = page.next;
      if (page.subscribers.length > 0) yield page.subscribers;
    } while (start);
  }

  /** One Query of a shard's subscriptions; `next`, DynamoDB's LastEvaluatedKey, when there may be more. */
  async #queryPage(
    channel: string,
    shard: Shard,
    pageSize: number,
    start: Record<string, unknown> | undefined,
  ): Promise<{ subscribers: Subscriber[]; next: Record<string, unknown> | undefined }> {
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :conn)',
        ExpressionAttributeValues: { ':pk': keys.subscriptionPartition(channel, shard), ':conn': 'conn#' },
        ProjectionExpression:
          'connectionId, userId, username, replayedTo, replayPending, expiresAt, dialect, connectedAt',
        Limit: pageSize,
        ExclusiveStartKey: start,
      }),
    );
    const nowSec = this.clock.now() / 1000;
    const subscribers: Subscriber[] = [];
    for (const item of page.Items ?? []) {
      if (typeof item.expiresAt === 'number' && item.expiresAt < nowSec) continue;
      subscribers.push(toSubscriber(item));
    }
    return { subscribers, next: page.LastEvaluatedKey };
  }

  /** Items by key, consistently, in BatchGetItem requests of at most 100 keys (what is left unprocessed, again). */
  async #getAll(itemKeys: { pk: string; sk: string }[]): Promise<Record<string, unknown>[]> {
    if (itemKeys.length === 1) {
      const { Item } = await this.db.send(
        new GetCommand({ TableName: this.tableName, Key: itemKeys[0]!, ConsistentRead: true }),
      );
      return Item ? [Item] : [];
    }
    const found: Record<string, unknown>[] = [];
    for (let i = 0; i < itemKeys.length; i += BATCH_GET_MAX) {
      let pending: Record<string, unknown>[] | undefined = itemKeys.slice(i, i + BATCH_GET_MAX);
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 0) await this.clock.sleep(Math.min(200, 10 * 2 ** attempt));
        const out: BatchGetCommandOutput = await this.db.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        found.push(...(out.Responses?.[this.tableName] ?? []));
        pending = out.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return found;
  }
}

const BATCH_GET_MAX = 100;

const statsShardOf = (connectionId: string): number => shardOf(connectionId, STATS_SHARDS);

const sum = (items: Record<string, unknown>[], attribute: string): number =>
  items.reduce((total, item) => total + Number(item[attribute] ?? 0), 0);

/** The counters of the table: `cnt` of a count item, the named totals of a stats item. */
function dynamoCounters(db: DocumentClient, tableName: string): AtomicCounters {
  return {
    async add(key, by) {
      const { Attributes } = await db.send(
        new UpdateCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression: 'ADD cnt :by',
          ExpressionAttributeValues: { ':by': by },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(Attributes?.cnt ?? 0);
    },
    async deleteIfZero(key) {
      try {
        await db.send(
          new DeleteCommand({
            TableName: tableName,
            Key: key,
            ConditionExpression: 'cnt = :zero',
            ExpressionAttributeValues: { ':zero': 0 },
          }),
        );
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
    },
    async addStats(shard, deltas) {
      const names = Object.keys(deltas) as (keyof Stats)[];
      if (names.length === 0) return;
      await db.send(
        new UpdateCommand({
          TableName: tableName,
          Key: keys.stats(shard),
          UpdateExpression: `ADD ${names.map((_, i) => `#n${i} :v${i}`).join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#n${i}`, name])),
          ExpressionAttributeValues: Object.fromEntries(names.map((name, i) => [`:v${i}`, deltas[name]])),
        }),
      );
    },
  };
}

/**
 * Pages of several sources as they come: each source has one page in flight (read ahead while the caller
 * works on the last), so the shards of a channel are read in parallel. A failing source fails the whole.
 */
export async function* interleave<T>(sources: readonly AsyncIterable<T>[]): AsyncIterable<T> {
  if (sources.length === 1) {
    yield* sources[0]!;
    return;
  }
  type Next = { i: number; result?: IteratorResult<T>; error?: unknown };
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<Next>>();
  const pull = (i: number) =>
    pending.set(
      i,
      iterators[i]!.next().then(
        (result) => ({ i, result }),
        (error: unknown) => ({ i, error }),
      ),
    );
  for (let i = 0; i < iterators.length; i++) pull(i);
  try {
    while (pending.size > 0) {
      const next = await Promise.race(pending.values());
      pending.delete(next.i);
      if (next.error !== undefined) throw next.error;
      if (next.result?.done) continue;
      pull(next.i);
      yield next.result!.value;
    }
  } finally {
    // A caller that stops early (or a failure): the other sources end their reads and are closed.
    await Promise.allSettled(
      [...pending.entries()].map(async ([i, p]) => {
        await p;
        await iterators[i]!.return?.();
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
    ...(typeof item.dialect === 'string' ? { dialect: item.dialect } : {}),
    ...(typeof item.connectedAt === 'number' ? { connectedAt: item.connectedAt } : {}),
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
    ...(typeof item.dialect === 'string' ? { dialect: item.dialect } : {}),
  };
}

const stringList = (v: unknown): string[] =>
  v instanceof Set || Array.isArray(v) ? [...v].filter((x): x is string => typeof x === 'string') : [];
