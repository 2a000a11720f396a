import { expect } from 'vitest';
import type { DynamoConnectionStore } from '../../shared/adapters/dynamo/connection-store';
import type { ConnectionRecord } from '../../shared/core/ports';

/**
 * One scenario for the sharded counts of the connection store, run on a table in memory whose requests
 * take effect at random moments (test/unit/adapters/connection-counts.test.ts) and on DynamoDB Local
 * (test/integration/sharded-counts.test.ts): 200 concurrent connects; then disconnects racing new
 * connects, subscribes and unsubscribes; then everyone leaves at once. After each round, every count and
 * total must equal what the table's items say.
 */
export const CONNECTIONS = 200;
const USERS = 20;
/** Small sharded rooms, each connection in one of them (besides `room:big`), unless a run asks for none. */
const ROOMS = 7;

/** A big sharded room everyone joins, small sharded rooms, and the users' own one-shard channels. */
export const shardsOf = (channel: string) => (channel.startsWith('room:') ? 8 : 1);

type Item = Record<string, unknown>;

export function connection(i: number, prefix = 'c', rooms = ROOMS): ConnectionRecord {
  const anonymous = i % 7 === 6; // 7 and 20 coprime: every user still has connections
  const sub = `u${i % USERS}`;
  return {
    connectionId: `${prefix}${i}`,
    principal: anonymous
      ? { sub: null, username: 'Anonymous', orgs: [], scopes: [], exp: null }
      : { sub, username: sub, orgs: [], scopes: [], exp: null },
    channels: [
      'room:big',
      ...(rooms > 0 ? [`room:r${i % rooms}`] : []),
      ...(anonymous ? [] : [`user:${sub}`]),
    ],
    connectedAt: 1,
    expiresAt: 4_000_000_000,
  };
}

/** What the table holds, counted from its items: the truth the counters must equal. */
function truth(items: readonly Item[]) {
  const subscribers = new Map<string, number>();
  const users = new Set<string>();
  let connections = 0;
  for (const item of items) {
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

async function expectExact(store: DynamoConnectionStore, items: readonly Item[]) {
  const t = truth(items);
  expect(await store.stats()).toEqual({
    connections: t.connections,
    channels: t.subscribers.size,
    users: t.users,
  });
  for (const [channel, n] of t.subscribers) expect(await store.countSubscribers(channel), channel).toBe(n);
  // No count item below 0, and none at 0 left behind.
  for (const item of items) {
    if (item.cnt !== undefined) expect(Number(item.cnt), `${item.pk}|${item.sk}`).toBeGreaterThan(0);
  }
  return t;
}

/**
 * `rooms`: how many small rooms the connections spread over besides `room:big` (0: none, a third fewer
 * writes, for DynamoDB Local).
 */
export async function countsScenario(
  store: DynamoConnectionStore,
  items: () => Promise<Item[]>,
  { rooms = ROOMS }: { rooms?: number } = {},
) {
  const records = Array.from({ length: CONNECTIONS }, (_, i) => connection(i, 'c', rooms));
  await Promise.all(records.map((r) => store.put(r)));
  const t = await expectExact(store, await items());
  expect(t).toMatchObject({ connections: CONNECTIONS, users: USERS });
  expect(t.subscribers.get('room:big')).toBe(CONNECTIONS);
  expect(t.subscribers.size).toBe(1 + rooms + USERS);

  // Half of them leave while as many new ones arrive, others subscribe and unsubscribe, and some
  // connections are removed while their own subscribe is under way.
  const racing = await Promise.allSettled([
    ...records.slice(0, 100).map((r) => store.remove(r.connectionId)),
    ...Array.from({ length: 100 }, (_, i) => store.put(connection(i, 'n', rooms))),
    ...records.slice(100, 150).map((r) => store.subscribe(r.connectionId, 'room:extra', 100)),
    ...records.slice(150, 200).map((r) => store.unsubscribe(r.connectionId, 'room:big')),
    ...records.slice(90, 110).map((r) => store.subscribe(r.connectionId, 'room:late', 100)),
  ]);
  // Only a subscribe of a connection removed meanwhile may fail (ConnectionGoneError).
  for (const r of racing) {
    if (r.status === 'rejected') expect((r.reason as Error).name).toBe('ConnectionGoneError');
  }
  const after = await expectExact(store, await items());
  expect(after.connections).toBe(CONNECTIONS);
  expect(after.subscribers.get('room:big')).toBe(CONNECTIONS - 50);
  expect(after.subscribers.get('room:extra')).toBe(50);

  // Everyone leaves at once: nothing of them is left, not even a count at 0.
  const all = [...records.slice(100), ...Array.from({ length: 100 }, (_, i) => connection(i, 'n', rooms))];
  await Promise.all(all.map((r) => store.remove(r.connectionId)));
  expect(await store.stats()).toEqual({ connections: 0, channels: 0, users: 0 });
  const left = (await items()).map((i) => `${i.pk}|${i.sk}`).filter((k) => /^(conn|chan|user)#/.test(k));
  expect(left).toEqual([]);
}
