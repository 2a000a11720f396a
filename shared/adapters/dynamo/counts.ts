import type { ConnectionStats } from '../../core/ports';
import type { Shard } from './table';

/** A type, not an interface: it is a document client's `Key` (a record of native values). */
export type ItemKey = {
  pk: string;
  sk: string;
};

/** The two atomic operations every count of the connection store is kept with (one UpdateItem / DeleteItem each). */
export interface AtomicCounters {
  /** ADDs `by` to the item's count (an absent item counts 0) and resolves the new value. */
  add(key: ItemKey, by: number): Promise<number>;
  /** Deletes the count item if it is exactly 0 (never below: a decrement that overtook its increment is pending). */
  deleteIfZero(key: ItemKey): Promise<void>;
  /** ADDs to the totals of one of the STATS_SHARDS stats items. */
  addStats(shard: number, deltas: Partial<ConnectionStats>): Promise<void>;
}

/**
 * The stats deltas of one operation (a connect, a disconnect, a subscribe), gathered while its counts move
 * and written in one ADD by `ConnectionCounts.flush`: a connect that adds a connection, a channel and a
 * user writes the stats item once, not three times. The stats item is only ever ADDed to, so when a delta
 * lands does not change the sum at rest; what each up and down adds is still added exactly once.
 */
export class StatsBatch {
  readonly #deltas: Record<keyof ConnectionStats, number> = { connections: 0, channels: 0, users: 0 };

  /** `shard`: the STATS_SHARDS item the operation writes (by its connection's id). */
  constructor(readonly shard: number) {}

  add(deltas: Partial<ConnectionStats>): void {
    for (const [name, by] of Object.entries(deltas) as [keyof ConnectionStats, number][])
      this.#deltas[name] += by;
  }

  /** The deltas not zero, and none left to write. */
  take(): Partial<ConnectionStats> {
    const out: Partial<ConnectionStats> = {};
    for (const [name, by] of Object.entries(this.#deltas) as [keyof ConnectionStats, number][]) {
      if (by !== 0) out[name] = by;
      this.#deltas[name] = 0;
    }
    return out;
  }
}

/** Where the count items of a channel, a user and the stats are (shared/adapters/dynamo/table.ts `keys`). */
export interface CountKeys {
  channelCount(channel: string, shard: Shard): ItemKey;
  channelShards(channel: string): ItemKey;
  userCount(userId: string): ItemKey;
}

/**
 * The sharded counters beside the connections, and the totals derived from them, kept exact under any
 * concurrency without transactions.
 *
 * Each counter moves by single atomic ADDs of ±1 that return the new value, so every caller knows the
 * value its own step produced. A counter's +1 is written only after the item it counts (a subscription, a
 * user's index entry) was stored, and its −1 only by whoever deleted that item (a conditional delete's
 * ReturnValues ALL_OLD says who did: connection-store.ts `#take`): each counted item is added once and subtracted at most once, so at rest every counter equals
 * the number of its items. A −1 may overtake its +1 (a disconnect racing a connect's last step): the
 * counter dips to −1 and returns to 0, which is why a count item is deleted only at exactly 0.
 *
 * The totals count transitions. Call a step that returns 1 after +1 an "up" (0 → 1) and one that returns
 * 0 after −1 a "down" (1 → 0). Along any sequence of ±1 steps from 0 — whatever their order, dips below 0
 * included — ups − downs is 1 if the counter ends above 0 and 0 otherwise: the steps crossing the edge
 * between 0 and 1 alternate up, down, up, … Each up or down is seen by exactly one caller (the one whose
 * ADD returned it). So:
 *  - a sharded channel's `shards` item gets +1 on each up of one of its shard counts and −1 on each down:
 *    at rest it is the number of non-empty shards;
 *  - `channels` of the stats gets +1 on each up of a channel (its one shard's count, or its `shards`
 *    item) and −1 on each down: at rest, the channels with a subscriber;
 *  - `users` likewise from the users' counts; `connections` from each stored and deleted connection.
 * The stats are spread over STATS_SHARDS (table.ts) items by the connection's id and read by summing; each item is
 * only ever ADDed to, so the sum is exact whichever shard a step lands on, and an operation's ups and downs
 * are gathered in a StatsBatch and written together (`flush`), one stats write per operation.
 *
 * What this cannot cover is a write whose outcome is unknown (DynamoDB failed it after the client's retries):
 * the caller sees the error, and a total may be one off until the counter next returns to 0.
 */
export class ConnectionCounts {
  constructor(
    private readonly counters: AtomicCounters,
    private readonly keys: CountKeys,
  ) {}

  /**
   * A subscription was stored in `shard`: resolves that shard's new count. Throws the ADD's own error
   * when the count did not change, TotalsError when it did and a total derived from it failed.
   */
  async joined(channel: string, shard: Shard, stats: StatsBatch): Promise<number> {
    const key = this.keys.channelCount(channel, shard);
    const n = await this.counters.add(key, 1);
    await totals(async () => {
      if (n === 0) await this.counters.deleteIfZero(key); // it had dipped below 0: an overtaking leave
      if (n === 1) await this.#shardFilled(channel, shard, stats);
    });
    return n;
  }

  /** A subscription was deleted from `shard` (by this caller): resolves that shard's new count. */
  async left(channel: string, shard: Shard, stats: StatsBatch): Promise<number> {
    const key = this.keys.channelCount(channel, shard);
    const n = await this.counters.add(key, -1);
    if (n === 0) {
      await totals(() => all([this.counters.deleteIfZero(key), this.#shardEmptied(channel, shard, stats)]));
    }
    return n;
  }

  /** A connection of `userId` was indexed. Throws as `joined` does. */
  async userConnected(userId: string, stats: StatsBatch): Promise<void> {
    const key = this.keys.userCount(userId);
    const n = await this.counters.add(key, 1);
    if (n === 0) await totals(() => this.counters.deleteIfZero(key));
    if (n === 1) stats.add({ users: 1 });
  }

  /** A connection of `userId` was taken out of its index (by this caller). */
  async userDisconnected(userId: string, stats: StatsBatch): Promise<void> {
    const key = this.keys.userCount(userId);
    if ((await this.counters.add(key, -1)) !== 0) return;
    stats.add({ users: -1 });
    await totals(() => this.counters.deleteIfZero(key));
  }

  /**
   * Writes what `stats` gathered (nothing when it all cancelled out). Its failure is a TotalsError: the
   * counts it derives from moved, and a total may be one off until they next return to 0.
   */
  async flush(stats: StatsBatch): Promise<void> {
    const deltas = stats.take();
    if (Object.keys(deltas).length > 0) await totals(() => this.counters.addStats(stats.shard, deltas));
  }

  async #shardFilled(channel: string, shard: Shard, stats: StatsBatch): Promise<void> {
    if (shard.shards === 1) return stats.add({ channels: 1 });
    const key = this.keys.channelShards(channel);
    const k = await this.counters.add(key, 1);
    if (k === 0) await this.counters.deleteIfZero(key);
    if (k === 1) stats.add({ channels: 1 });
  }

  async #shardEmptied(channel: string, shard: Shard, stats: StatsBatch): Promise<void> {
    if (shard.shards === 1) return stats.add({ channels: -1 });
    const key = this.keys.channelShards(channel);
    if ((await this.counters.add(key, -1)) !== 0) return;
    stats.add({ channels: -1 });
    await this.counters.deleteIfZero(key);
  }
}

/**
 * A counter changed, but a total derived from it (a `shards` item, the stats) or the clean-up of a zero
 * item failed: the item it counts is counted, so whoever undoes it must still subtract it.
 */
export class TotalsError extends Error {
  override name = 'TotalsError';
}

async function totals(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    throw new TotalsError(`a total may be off by one: ${String(error)}`, { cause: error });
  }
}

/** Waits for every step, then throws the first failure: no step is left running unobserved. */
export async function all(steps: readonly (Promise<unknown> | undefined)[]): Promise<void> {
  const failed = (await Promise.allSettled(steps)).find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}
