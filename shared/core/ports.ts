import type { Principal } from './auth/principal';
import { SwitchboardError } from './errors';
import type { BreakdownMetric, CountMetric, DurationMetric } from './metrics';

/**
 * The ports the protocol core works through. The core never imports the AWS SDK: the DynamoDB and
 * Management API implementations live in shared/adapters, fakes in test/support/fakes.ts. A feature's own
 * store port lives in its folder (shared/features/{feature}/store.ts).
 */

export interface ConnectionRecord {
  connectionId: string;
  principal: Principal;
  /** Channels the connection is subscribed to. */
  channels: string[];
  connectedAt: number;
  /** Epoch seconds; the connection is gone by then at the latest (API Gateway's 2 h lifetime). */
  expiresAt: number;
  sourceIp?: string;
  userAgent?: string;
  /** The seed dialect it speaks (core/dialect.ts); absent: the native protocol. */
  dialect?: string;
}

export interface Subscriber {
  connectionId: string;
  userId: string | null;
  username?: string;
  /** Set while a recovery replays history: messages with seq up to here reach it by the replay, not live. */
  replayedTo?: number;
  /**
   * True from the moment a recovering subscription is stored until its `replayedTo` is known: a fan-out that
   * meets it waits for the mark (ConnectionStore.getSubscription) rather than guess.
   */
  replayPending?: boolean;
  /** Its connection's seed dialect (copied from the record): what a fan-out renders the frame as. */
  dialect?: string;
  /**
   * When its connection opened, epoch ms (copied from the record; absent on older items): a post answered
   * 410 tells from it whether the connection may still be inside its `$connect`, without reading the record.
   */
  connectedAt?: number;
}

/** How many of a channel's subscribers a page (its shards are read in parallel, pages interleaved). */
export interface SubscriberQuery {
  pageSize?: number;
}

/** Which page of a shard to read (ConnectionStore.subscriberPage). */
export interface SubscriberPageQuery {
  pageSize: number;
  /** The connection id the page starts after (the last page's `next`); absent: from the shard's start. */
  after?: string | undefined;
}

/** One page of one shard's subscribers (ConnectionStore.subscriberPage). */
export interface SubscriberPage {
  subscribers: Subscriber[];
  /** Where the next page starts (pass it as `after`); absent when the shard has no more. */
  next?: string;
}

export interface SubscribeResult {
  /** False when the connection was subscribed already. */
  added: boolean;
  /** Connections on the channel after the change. */
  count: number;
}

export interface UnsubscribeResult {
  removed: boolean;
  count: number;
}

export interface RemovedConnection {
  record: ConnectionRecord;
  /** The channels whose subscription this removal deleted (ConnectionStore.countSubscribers says who is left). */
  left: string[];
}

/** What a connection's `put` learnt of the channels it joined. */
export interface PutResult {
  /**
   * Per channel joined, a lower bound of its connections just after the join, the joiner included: the
   * count of the shard it joined, which is the channel's count when the channel has one shard.
   */
  joined: Record<string, number>;
  /**
   * Per channel of `PutOptions.count` whose other shards could be read, its connections just after the
   * join, the joiner included: the joined shard's count plus the others', summed as `countSubscribers`
   * sums them.
   */
  counts: Record<string, number>;
}

/** How `$connect`'s writes may be cut short (ConnectionStore.put). */
export interface PutOptions {
  /**
   * Asked between the steps: true when the caller has no time left (its Lambda nears its timeout). The
   * store then undoes what it wrote and throws ConnectAbandonedError.
   */
  stop?: () => boolean;
  /**
   * Channels (of those joined, with several shards) whose whole count after the join the caller wants
   * (PutResult.counts): their other shards' counts are read while the join is written, not after it, so
   * a join made at the same moment on another shard may be missed. A failed read only leaves the channel
   * out: it never fails the connect.
   */
  count?: readonly string[];
}

/** Totals kept beside the connections (GET /v1/stats, live_stats). */
export interface ConnectionStats {
  connections: number;
  /** Channels with at least one subscriber. */
  channels: number;
  /** Users with at least one connection. */
  users: number;
}

export interface ConnectionStore {
  /**
   * `$connect`'s writes: the connection, its subscriptions to `record.channels` (checked and authorized by
   * the caller, within the channel limit), its user's index and every count, as a constant number of
   * writes whatever the channels' sizes. If any write fails, or `options.stop` says so, what it wrote is
   * undone before it throws (ConnectAbandonedError for a stop): no half-stored connection is counted.
   */
  put(record: ConnectionRecord, options?: PutOptions): Promise<PutResult>;
  get(connectionId: string): Promise<ConnectionRecord | null>;
  /**
   * Removes the connection, its subscriptions and its place in its user's index. Resolves null when it was
   * gone already. `channelHint` names a subscription to delete even then (an orphan found by fan-out).
   */
  remove(connectionId: string, channelHint?: string): Promise<RemovedConnection | null>;
  /** Throws ConnectionGoneError or ChannelLimitError. */
  subscribe(
    connectionId: string,
    channel: string,
    maxChannels: number,
    options?: { replayPending?: boolean },
  ): Promise<SubscribeResult>;
  unsubscribe(connectionId: string, channel: string): Promise<UnsubscribeResult>;
  /** Marks a subscription as replayed up to `seq` and no longer pending (see Subscriber.replayedTo). */
  setReplayedTo(connectionId: string, channel: string, seq: number): Promise<void>;
  /** One subscription, read consistently; null when there is none. */
  getSubscription(channel: string, connectionId: string): Promise<Subscriber | null>;
  /** How many partitions hold the channel's subscriptions (its namespace's shard count; 1 when unsharded). */
  subscriberShards(channel: string): number;
  /** The subscribers of a channel, page by page (a Query per page, never a Scan). */
  subscribers(channel: string, query?: SubscriberQuery): AsyncIterable<Subscriber[]>;
  /**
   * One page of one shard's subscribers in one Query, in the shard's order (by connection id), from just
   * after the connection `after` (which need not be subscribed any more): a fan-out worker reads a shard a
   * page an invocation. `next` says where the next page starts; a page may hold fewer than `pageSize`
   * (expired subscriptions are left out) and still have a next.
   */
  subscriberPage(channel: string, shard: number, query: SubscriberPageQuery): Promise<SubscriberPage>;
  countSubscribers(channel: string): Promise<number>;
  connectionsOfUser(userId: string): Promise<string[]>;
  /** Counts one frame of a connection in the one-minute window starting at `windowStart` (epoch s). */
  countFrame(connectionId: string, windowStart: number): Promise<number>;
  /** The totals, summed over their shards in one read (kept by put, subscribe, unsubscribe and remove). */
  stats(): Promise<ConnectionStats>;
}

export interface HistoryEntry {
  seq: number;
  /** The frame exactly as it was delivered, serialized (or a `void` marker: core/recovery.ts). */
  frame: string;
  /**
   * When its seq was taken (epoch ms), by which a reader tells a seq whose publish died from one still
   * being written (core/recovery.ts). Absent on void markers and on entries stored before it was kept.
   */
  at?: number;
}

export interface HistoryPage {
  entries: HistoryEntry[];
  /** The seq to continue after (before, reading newest first), or null on the last page. */
  next: number | null;
}

export interface MessageStore {
  /** Atomically allocates the next sequence number of a channel (1, 2, ...), noting when. */
  nextSeq(channel: string): Promise<number>;
  /** The last allocated sequence number (0 when none). */
  currentSeq(channel: string): Promise<number>;
  /** The last allocated sequence number and when it was taken (epoch ms; null when not known). */
  lastSeq(channel: string): Promise<{ seq: number; at: number | null }>;
  /**
   * Stores the entry unless its seq holds one already: a seq holds one entry for good. Resolves null when
   * it was stored, else the entry found there (the same message, stored by an earlier attempt of its
   * publish, or a void marker).
   */
  appendHistory(channel: string, entry: HistoryEntry, expiresAt: number | null): Promise<HistoryEntry | null>;
  /** Entries with seq > afterSeq, oldest first. */
  history(channel: string, afterSeq: number, limit: number): Promise<HistoryPage>;
  /**
   * Entries with seq < beforeSeq (all when null), newest first. `next` is the seq to continue before, or
   * null on the last page.
   */
  historyBefore(channel: string, beforeSeq: number | null, limit: number): Promise<HistoryPage>;
}

/**
 * One idempotency record (shared/core/idempotency.ts): who claimed a key, for which request (its
 * fingerprint), and once done the answer every repeat gets.
 */
export type IdempotencyClaim<T> =
  /**
   * The caller owns the key: a new claim with the caller's id, or one taken over from an owner that died,
   * with that owner's id, the time the first owner claimed it, and the seqs it had reserved (channel → seq).
   */
  | { claimed: true; id: string; startedAt: number; reserved: Record<string, number> }
  | { claimed: false; state: 'pending'; id: string; createdAt: number; fingerprint: string | undefined }
  | {
      claimed: false;
      state: 'done';
      id: string;
      createdAt: number;
      fingerprint: string | undefined;
      result: T;
    };

export interface IdempotencyStore {
  /**
   * Claims a key for 24 h for `owner` (one attempt of the request). Resolves `claimed` for the first
   * caller; a later caller gets the record: `done` with the stored result, or `pending` while its owner is
   * at work. `id` is the id the claimer will use; `fingerprint` says what it was asked. A pending claim
   * older than `staleAfterMs` (its owner died) is taken over by a caller with the same fingerprint: it
   * gets the dead owner's id and reservations.
   */
  claim<T>(
    key: string,
    claim: { id: string; fingerprint: string; owner: string; now: number; staleAfterMs: number },
  ): Promise<IdempotencyClaim<T>>;
  /**
   * Notes in the claim the seq its owner took for a channel, before the message is stored there. False when
   * the claim is no longer this owner's (another attempt took it over).
   */
  reserve(key: string, owner: string, channel: string, seq: number): Promise<boolean>;
  /** Keeps the answer for repeats. False when the claim is no longer this owner's. */
  complete<T>(key: string, owner: string, result: T, now: number): Promise<boolean>;
  /**
   * Gives the key up after a failure, if it is still this owner's: deleted when nothing was reserved;
   * otherwise kept with its reservations but made stale at once, so the next attempt takes it over and
   * finishes the message where this one left it.
   */
  release(key: string, owner: string): Promise<void>;
}

export interface ConnectionInfo {
  connectedAt: string | undefined;
  lastActiveAt: string | undefined;
  sourceIp: string | undefined;
}

/** What became of one post: the connection got it, or it is gone (it closed; API Gateway's 410). */
export type PostOutcome = 'delivered' | 'gone';

/** The API Gateway Management API of the WebSocket stage, in the protocol's terms. */
export interface Gateway {
  /** Sends one message; throws GatewayError for anything but delivered or gone. */
  post(connectionId: string, data: Uint8Array): Promise<PostOutcome>;
  /** Resolves false when the connection was gone already. */
  close(connectionId: string): Promise<boolean>;
  /** Null when the connection is gone. */
  info(connectionId: string): Promise<ConnectionInfo | null>;
}

/**
 * A post that neither delivered nor found the connection gone. `retryable`: throttled, a 5xx, or no answer
 * at all (a reset socket, a timeout); anything else (403, 413) would fail again.
 */
export class GatewayError extends SwitchboardError {
  override name = 'GatewayError';
  readonly status: number | undefined;
  readonly retryable: boolean;

  constructor(message: string, details: { status?: number; retryable: boolean }, options?: ErrorOptions) {
    super(message, options);
    this.status = details.status;
    this.retryable = details.retryable;
  }
}

/**
 * The fan-out workers' queue (SQS in AWS, the local stack's emulation of it): where a delivery to an
 * audience too large to post to in-process goes (core/delivery/fan-out.ts writes and reads its messages).
 */
export interface FanOutQueue {
  /**
   * Sends the messages (each at most FAN_OUT_MESSAGE_MAX_BYTES of UTF-8), in as few requests as the
   * queue's limits allow. Resolves once the queue holds every one; throws when one could not be sent.
   */
  send(bodies: readonly string[], options?: { delaySeconds?: number }): Promise<void>;
}

/** SQS's largest message body (256 KiB). */
export const FAN_OUT_MESSAGE_MAX_BYTES = 256 * 1024;

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface Ids {
  /** A message id, unique and sortable by time. */
  next(): string;
}

export interface Log {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/**
 * Switchboard's own metrics (./metrics.ts names them), counted where the event happens: the core and the
 * features say what happened, an adapter turns it into CloudWatch's embedded metric format at the end of
 * the invocation (shared/adapters/metrics.ts). Nothing here waits or fails: recording is in memory.
 */
export interface Metrics {
  /** `value` (default 1) more of a count; a zero is not recorded (CloudWatch then has no data point). */
  count(name: CountMetric, value?: number): void;
  /** `value` more of a count that has a breakdown: its total, and the total of its `by` dimension's value. */
  countBy(name: BreakdownMetric, by: string, value?: number): void;
  /** One sample of a duration in milliseconds (CloudWatch computes its percentiles). */
  duration(name: DurationMetric, ms: number): void;
}

export class ConnectionGoneError extends Error {
  override name = 'ConnectionGoneError';
}

export class ChannelLimitError extends Error {
  override name = 'ChannelLimitError';
}

/** ConnectionStore.put stopped because its caller ran out of time; nothing it wrote is left. */
export class ConnectAbandonedError extends Error {
  override name = 'ConnectAbandonedError';
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };

/** Records nothing: for a caller outside an invocation (the server library). */
export const noMetrics: Metrics = { count() {}, countBy() {}, duration() {} };
