import { afterEach, describe, expect, it } from 'vitest';
import { DynamoConnectionStore } from '../../../shared/adapters/dynamo/connection-store';
import { type AtomicCounters, ConnectionCounts, StatsBatch } from '../../../shared/adapters/dynamo/counts';
import { keys } from '../../../shared/adapters/dynamo/table';
import { afterConnectJob } from '../../../shared/core/after-connect';
import { ANONYMOUS } from '../../../shared/core/auth/principal';
import { type Channel, shardOf } from '../../../shared/core/channels';
import { CONNECTIONS, countsScenario, shardsOf } from '../../support/counts-scenario';
import { stubbedDocumentClient } from '../../support/dynamo-mock';
import { FakeClock } from '../../support/fakes';
import { MemoryTable } from '../../support/memory-table';

/**
 * The sharded counts of the connection store (shared/adapters/dynamo/counts.ts) under concurrency, on a
 * table in memory whose every request takes effect at a random moment (test/support/memory-table.ts):
 * whatever the interleaving, at rest each count equals what the table holds, and the totals are exact.
 * test/integration/sharded-counts.test.ts runs the same scenario against DynamoDB Local.
 */
let table: MemoryTable;
afterEach(() => table?.restore());

describe('the sharded counts, with every request taking effect at a random moment', () => {
  it.each([1, 2])(
    `stay exact through ${CONNECTIONS} concurrent connects, then disconnects racing connects, subscribes and unsubscribes (seed %i)`,
    { timeout: 60_000 },
    async (seed) => {
      table = new MemoryTable(seed);
      const store = new DynamoConnectionStore(stubbedDocumentClient(), 't', new FakeClock(), shardsOf);
      await countsScenario(store, async () => [...table.items.values()]);
    },
  );

  it.each([1, 2, 3])(
    'two joins into an empty room at the same moment: each reads the room at 1 or 2, and neither join is left unannounced (seed %i)',
    async (seed) => {
      table = new MemoryTable(seed);
      const store = new DynamoConnectionStore(stubbedDocumentClient(), 't', new FakeClock(), shardsOf);
      // A room's presence: work for 2 to 100 in the room.
      const deps = {
        hooks: { room: { afterJoin: async () => {}, joinWork: { min: 2, max: 100 } } },
        channels: { subscriberShards: shardsOf },
      };
      for (let pair = 0; pair < 20; pair++) {
        const room = `room:pair-${pair}`;
        const channel = { id: room, namespace: { name: 'room' } } as Channel;
        // Two connections whose subscriptions go to different shards of the room.
        const a = `a-${seed}-${pair}`;
        const b = Array.from({ length: 16 }, (_, k) => `b-${seed}-${pair}-${k}`).find(
          (id) => shardOf(id, 8) !== shardOf(a, 8),
        )!;
        const joins = await Promise.all(
          [a, b].map((connectionId) =>
            store.put(
              {
                connectionId,
                principal: ANONYMOUS,
                channels: [room],
                connectedAt: 1,
                expiresAt: 4_000_000_000,
              },
              { count: [room] },
            ),
          ),
        );
        for (const j of joins) expect([1, 2]).toContain(j.counts[room]);
        // Whatever each read, both leave after-connect work: a 2 is handed on, a 1 is read again.
        const jobs = joins.map((stored, i) =>
          afterConnectJob(
            deps,
            { connectionId: [a, b][i]!, principal: ANONYMOUS, channels: [room] },
            [channel],
            stored,
            false,
          ),
        );
        for (const [i, job] of jobs.entries()) {
          expect(job).not.toBeNull();
          expect(job?.counts).toEqual(joins[i]?.counts[room] === 2 ? { [room]: 2 } : undefined);
        }
      }
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
    // Each step as one operation: its stats gathered, then written.
    const step = async <T>(statsShard: number, run: (batch: StatsBatch) => Promise<T>): Promise<T> => {
      const batch = new StatsBatch(statsShard);
      const result = await run(batch);
      await c.flush(batch);
      return result;
    };
    const shard = { shard: 3, shards: 8 };
    // The other shard of the room holds someone throughout: the room stays counted once.
    await step(0, (b) => c.joined('room:a', { shard: 5, shards: 8 }, b));
    expect(await step(1, (b) => c.left('room:a', shard, b))).toBe(-1);
    expect(await step(2, (b) => c.joined('room:a', shard, b))).toBe(0);
    expect(stats.channels).toBe(1);
    expect([...counts.keys()].sort()).toEqual(['chan#room:a#5|count', 'chan#room:a|shards']);
    // And the same on a one-shard channel, alone: never counted, nothing left.
    expect(await step(0, (b) => c.left('user:x', { shard: 0, shards: 1 }, b))).toBe(-1);
    expect(await step(0, (b) => c.joined('user:x', { shard: 0, shards: 1 }, b))).toBe(0);
    expect(stats.channels).toBe(1);
    expect(counts.has('chan#user:x|count')).toBe(false);
    // The last one leaves: the shard, then the room, go to 0 and their items with them.
    await step(0, (b) => c.left('room:a', { shard: 5, shards: 8 }, b));
    expect(stats.channels).toBe(0);
    expect(counts.size).toBe(0);
  });
});
