import type {
  ConnectionRecord,
  ConnectionStats,
  ConnectionStore,
  PutOptions,
  PutResult,
  RemovedConnection,
  SubscribeResult,
  Subscriber,
  SubscriberPage,
  SubscriberPageQuery,
  SubscriberQuery,
  UnsubscribeResult,
} from '../ports';

/**
 * A ConnectionStore whose subscriber lists are read once per channel and then reused, for work that fans
 * out many events to the same few channels in one go (a batch of sensor readings: hundreds of events, three
 * channels each). Connections found gone are dropped from the snapshot, so later events do not post to
 * them again. A connection that subscribes while the batch runs gets the batch's later events only from
 * the next batch on: the same as subscribing a moment later. Everything else goes to the store.
 */
export class SubscriberSnapshot implements ConnectionStore {
  readonly #store: ConnectionStore;
  readonly #lists = new Map<string, Promise<Subscriber[]>>();
  readonly #counts = new Map<string, Promise<number>>();
  readonly #gone = new Set<string>();

  constructor(store: ConnectionStore) {
    this.#store = store;
  }

  async *subscribers(channel: string, query: SubscriberQuery = {}): AsyncIterable<Subscriber[]> {
    const pageSize = query.pageSize ?? 1000;
    let list = this.#lists.get(channel);
    if (!list) {
      list = this.#read(channel, query);
      this.#lists.set(channel, list);
    }
    const live = (await list).filter((s) => !this.#gone.has(s.connectionId));
    for (let i = 0; i < live.length; i += pageSize) yield live.slice(i, i + pageSize);
  }

  /** A fan-out worker's read: not part of a batch's snapshot. */
  subscriberPage(channel: string, shard: number, query: SubscriberPageQuery): Promise<SubscriberPage> {
    return this.#store.subscriberPage(channel, shard, query);
  }

  /** Read once per channel too: each event of the batch chooses its delivery tier by it. */
  countSubscribers(channel: string): Promise<number> {
    let count = this.#counts.get(channel);
    if (!count) {
      count = this.#store.countSubscribers(channel);
      this.#counts.set(channel, count);
    }
    return count;
  }

  async remove(connectionId: string, channelHint?: string): Promise<RemovedConnection | null> {
    this.#gone.add(connectionId);
    return this.#store.remove(connectionId, channelHint);
  }

  async #read(channel: string, query: SubscriberQuery): Promise<Subscriber[]> {
    const all: Subscriber[] = [];
    for await (const page of this.#store.subscribers(channel, query)) all.push(...page);
    return all;
  }

  subscriberShards(channel: string): number {
    return this.#store.subscriberShards(channel);
  }

  put(record: ConnectionRecord, options?: PutOptions): Promise<PutResult> {
    return this.#store.put(record, options);
  }
  get(connectionId: string): Promise<ConnectionRecord | null> {
    return this.#store.get(connectionId);
  }
  subscribe(
    connectionId: string,
    channel: string,
    maxChannels: number,
    options?: { replayPending?: boolean },
  ): Promise<SubscribeResult> {
    return this.#store.subscribe(connectionId, channel, maxChannels, options);
  }
  unsubscribe(connectionId: string, channel: string): Promise<UnsubscribeResult> {
    return this.#store.unsubscribe(connectionId, channel);
  }
  setReplayedTo(connectionId: string, channel: string, seq: number): Promise<void> {
    return this.#store.setReplayedTo(connectionId, channel, seq);
  }
  getSubscription(channel: string, connectionId: string): Promise<Subscriber | null> {
    return this.#store.getSubscription(channel, connectionId);
  }
  connectionsOfUser(userId: string): Promise<string[]> {
    return this.#store.connectionsOfUser(userId);
  }
  countFrame(connectionId: string, windowStart: number): Promise<number> {
    return this.#store.countFrame(connectionId, windowStart);
  }
  stats(): Promise<ConnectionStats> {
    return this.#store.stats();
  }
}
