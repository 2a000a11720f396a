import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoConnectionStore } from '../../../shared/adapters/dynamo/connection-store';
import { type AtomicCounters, ConnectionCounts } from '../../../shared/adapters/dynamo/counts';
import { keys } from '../../../shared/adapters/dynamo/table';
import type { ConnectionRecord } from '../../../shared/core/ports';
import { FakeClock } from '../../support/fakes';
import { type Item, MemoryTable } from '../../support/memory-table';

/**
 * The sharded counts of the connection store (shared/adapters/dynamo/counts.ts) under concurrency, on a
 * table in memory whose every request takes effect at a random moment (test/support/memory-table.ts):
 * whatever the interleaving, at rest each count equals what the table holds, and the totals are exact.
 * test/integration/sharded-counts.test.ts runs the same against DynamoDB Local.
 */
const CONNECTIONS = 200;
const USERS = 20;
const ROOMS = 7;

/** A big sharded room everyone joins, small sharded rooms, and the users' own one-shard channels. */
const shardsOf = (channel: string) => (channel.startsWith('room:') ? 8 : 1);

let table: MemoryTable;
afterEach(() => table?.restore());

const makeStore = () =>
  new DynamoConnectionStore(
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    't',
    new FakeClock(),
    shardsOf,
  );

function connection(i: number, prefix = 'c'): ConnectionRecord {
  const anonymous = i % 7 === 6; // 7 and 20 coprime: every user still has connections
  const sub = `u${i % USERS}`;
  return {
    connectionId: `${prefix}${i}`,
    principal: anonymous
      ? { sub: null, username: 'Anonymous', orgs: [], scopes: [], exp: null }
      : { sub, username: sub, orgs: [], scopes: [], exp: null },
    channels: ['room:big', `room:r${i % ROOMS}`, ...(anonymous ? [] : [`user:${sub}`])],
    connectedAt: 1,
    expiresAt: 4_000_000_000,
  };
}

/** What the table holds, counted from its items: the truth the counters must equal. */
function truth(items: Map<string, Item>) {
  const subscribers = new Map<string, number>();
  const users = new Set<string>();
  let connections = 0;
  for (const item of items.values()) {
    const pk = String(item.pk);
    const sk = String(item.sk);
    if (pk.startsWith('conn#') && sk === 'meta') connections++;
    if (pk.startsWith('user#') && sk.startsWith('conn#')) users.add(pk);
    if (pk.startsWith('chan#') && sk.startsWith('conn#')) {
      const channel = pk.slice('chan#'.length).replace(/#\d+$/, '');
      subscribers.set(channel, (subscribers.get(channel) ?? 0) + 1);
    }
  }
  return { connections, users: users.size, subscribers };
}

async function expectExact(store: DynamoConnectionStore) {
  const t = truth(table.items);
  expect(await store.stats()).toEqual({
    connections: t.connections,
    channels: t.subscribers.size,
    users: t.users,
  });
  for (const [channel, n] of t.subscribers) expect(await store.countSubscribers(channel), channel).toBe(n);
  // No count item below 0, and none at 0 left behind.
  for (const item of table.items.values()) {
    if (typeof item.cnt === 'number') expect(item.cnt, `${item.pk}|${item.sk}`).toBeGreaterThan(0);
  }
  return t;
}

describe('the sharded counts, with every request taking effect at a random moment', () => {
  it.each([1, 2, 3])(
    'stay exact through 200 concurrent connects, then disconnects racing connects, subscribes and unsubscribes (seed %i)',
    { timeout: 60_000 },
    async (seed) => {
      table = new MemoryTable(seed);
      const store = makeStore();
      const records = Array.from({ length: CONNECTIONS }, (_, i) => connection(i));
      await Promise.all(records.map((r) => store.put(r)));
      const t = await expectExact(store);
      expect(t).toMatchObject({ connections: CONNECTIONS, users: USERS });
      expect(t.subscribers.get('room:big')).toBe(CONNECTIONS);
      expect(t.subscribers.size).toBe(1 + ROOMS + USERS);

      // Half of them leave while as many new ones arrive, others subscribe and unsubscribe, and some
      // connections are removed while their own subscribe or unsubscribe is under way.
      const racing = await Promise.allSettled([
        ...records.slice(0, 100).map((r) => store.remove(r.connectionId)),
        ...Array.from({ length: 100 }, (_, i) => store.put(connection(i, 'n'))),
        ...records.slice(100, 150).map((r) => store.subscribe(r.connectionId, 'room:extra', 100)),
        ...records.slice(150, 200).map((r) => store.unsubscribe(r.connectionId, 'room:big')),
        ...records.slice(90, 110).map((r) => store.subscribe(r.connectionId, 'room:late', 100)),
      ]);
      // Only a subscribe of a connection removed meanwhile may fail (ConnectionGoneError).
      for (const r of racing) {
        if (r.status === 'rejected') expect((r.reason as Error).name).toBe('ConnectionGoneError');
      }
      const after = await expectExact(store);
      expect(after.connections).toBe(CONNECTIONS);
      expect(after.subscribers.get('room:big')).toBe(CONNECTIONS - 50);
      expect(after.subscribers.get('room:extra')).toBe(50);

      // Everyone leaves at once: nothing of them is left, not even a count at 0.
      const all = [...records.slice(100), ...Array.from({ length: 100 }, (_, i) => connection(i, 'n'))];
      await Promise.all(all.map((r) => store.remove(r.connectionId)));
      expect(await store.stats()).toEqual({ connections: 0, channels: 0, users: 0 });
      expect(
        [...table.items.keys()].filter((k) => /^(conn|chan|user)#/.test(k) || k.startsWith('stats#')),
      ).toEqual(
        // Only the stats shards stay (at 0 each).
        [...table.items.keys()].filter((k) => k.startsWith('stats#')),
      );
    },
  );

  it("a leave whose decrement lands before the join's increment leaves no count and no channel counted", async () => {
    const counts = new Map<string, number>();
    const stats = { connections: 0, channels: 0, users: 0 };
    const counters: AtomicCounters = {
      async add(key, by) {
        const n = (counts.get(`${key.pk}|${key.sk}`) ?? 0) + by;
        counts.set(`${key.pk}|${key.sk}`, n);
        return n;
      },
      async deleteIfZero(key) {
        if (counts.get(`${key.pk}|${key.sk}`) === 0) counts.delete(`${key.pk}|${key.sk}`);
      },
      async addStats(_shard, deltas) {
        for (const [k, v] of Object.entries(deltas)) stats[k as keyof typeof stats] += v;
      },
    };
    const c = new ConnectionCounts(counters, keys);
    const shard = { shard: 3, shards: 8 };
    // The other shard of the room holds someone throughout: the room stays counted once.
    await c.joined('room:a', { shard: 5, shards: 8 }, 0);
    expect(await c.left('room:a', shard, 1)).toBe(-1);
    expect(await c.joined('room:a', shard, 2)).toBe(0);
    expect(stats.channels).toBe(1);
    expect([...counts.keys()].sort()).toEqual(['chan#room:a#5|count', 'chan#room:a|shards']);
    // And the same on a one-shard channel, alone: never counted, nothing left.
    expect(await c.left('user:x', { shard: 0, shards: 1 }, 0)).toBe(-1);
    expect(await c.joined('user:x', { shard: 0, shards: 1 }, 0)).toBe(0);
    expect(stats.channels).toBe(1);
    expect(counts.has('chan#user:x|count')).toBe(false);
    // The last one leaves: the shard, then the room, go to 0 and their items with them.
    await c.left('room:a', { shard: 5, shards: 8 }, 0);
    expect(stats.channels).toBe(0);
    expect(counts.size).toBe(0);
  });
});
