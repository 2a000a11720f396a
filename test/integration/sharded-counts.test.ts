import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDynamoClient, ensureTable } from '../../local/dynamodb';
import { createDocumentClient } from '../../shared/adapters/dynamo/client';
import { DynamoConnectionStore } from '../../shared/adapters/dynamo/connection-store';
import { systemClock } from '../../shared/core/ports';
import { countsScenario, shardsOf } from '../support/counts-scenario';

/**
 * The sharded counts of the connection store against DynamoDB Local (the same scenario as the unit test
 * on a table in memory, whose random interleavings it does not try to match: this one shows that
 * DynamoDB's ADD, conditional delete and ReturnValues behave as the counts rely on): 200 concurrent connects, then disconnects racing connects, subscribes and
 * unsubscribes, then everyone leaving at once; every count and total exact after each round. A table of
 * its own in the shared DynamoDB Local, so that the totals are this test's alone.
 */
const endpoint = inject('dynamodbEndpoint');
const tableName = `sharded-counts-${process.pid}-${Date.now()}`;
const dynamo = createDynamoClient(endpoint, 'us-east-1');
const documents = createDocumentClient({ region: 'us-east-1', endpoint });

beforeAll(async () => {
  await ensureTable(dynamo, tableName);
});
afterAll(() => {
  documents.destroy();
  dynamo.destroy();
});

async function scan(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, never> | undefined;
  do {
    const page = await dynamo.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []).map((i) => unmarshall(i)));
    start = page.LastEvaluatedKey as typeof start;
  } while (start);
  return items;
}

describe('the sharded counts on DynamoDB Local', () => {
  it('stay exact through 200 concurrent connects, disconnects racing connects, subscribes and unsubscribes', {
    timeout: 120_000,
  }, async () => {
    const store = new DynamoConnectionStore(documents, tableName, systemClock, shardsOf);
    // No small rooms here (a third fewer writes): the interleavings are the unit test's to explore.
    await countsScenario(store, scan, { rooms: 0 });
  });
});

describe('two removers of one connection on DynamoDB Local', () => {
  // A DELETE /v1/connections/{id} races its own $disconnect: both remove the connection. Exactly one may
  // get it back and count its subscriptions out. DynamoDB Local gave a plain DeleteItem's ALL_OLD to both
  // of two concurrent deletes most of the time: the room's count went to -1 and nobody announced the leave.
  it('exactly one gets the record, and the counts stay exact', { timeout: 60_000 }, async () => {
    const store = new DynamoConnectionStore(documents, tableName, systemClock, shardsOf);
    const principal = (sub: string) => ({ sub, username: sub, orgs: [], scopes: [], exp: null });
    for (let i = 0; i < 25; i++) {
      const room = `room:race-${process.pid}-${i}`;
      const now = Date.now();
      const base = { connectedAt: now, expiresAt: Math.floor(now / 1000) + 3600 };
      await store.put({ ...base, connectionId: `w${i}`, principal: principal(`w${i}`), channels: [room] });
      await store.put({ ...base, connectionId: `t${i}`, principal: principal(`t${i}`), channels: [room] });
      const removed = await Promise.all([store.remove(`t${i}`), store.remove(`t${i}`)]);
      expect(
        removed.filter((r) => r !== null),
        `round ${i}`,
      ).toHaveLength(1);
      expect(await store.countSubscribers(room), `round ${i}`).toBe(1);
    }
  });
});

describe('a shard read a page at a time on DynamoDB Local', () => {
  // What a fan-out worker does (core/delivery/worker.ts): one Query a page, the next from where it ended,
  // even when the connection it ended on has gone meanwhile.
  it('reads every live subscriber once, in order, after connections that left between pages', {
    timeout: 60_000,
  }, async () => {
    const room = `room:pages-${process.pid}`;
    const store = new DynamoConnectionStore(documents, tableName, systemClock, (c) => (c === room ? 2 : 1));
    const principal = { sub: null, username: 'anon', orgs: [], scopes: [], exp: null };
    const now = Date.now();
    const ids = Array.from({ length: 25 }, (_, i) => `p${String(i).padStart(2, '0')}`);
    for (const [i, id] of ids.entries()) {
      // One subscription has expired (its TTL not yet swept): no page gives it.
      const expiresAt = Math.floor(now / 1000) + (i === 7 ? -60 : 3600);
      await store.put({ connectionId: id, principal, channels: [room], connectedAt: now, expiresAt });
    }
    const read: string[][] = [[], []];
    for (const shard of [0, 1]) {
      let after: string | undefined;
      do {
        const page = await store.subscriberPage(room, shard, { pageSize: 4, after });
        expect(page.subscribers.length).toBeLessThanOrEqual(4);
        read[shard]!.push(...page.subscribers.map((s) => s.connectionId));
        after = page.next;
        // The page's last connection leaves before the next page is read.
        if (after !== undefined) await store.remove(after);
      } while (after !== undefined);
    }
    for (const shard of [0, 1]) expect(read[shard]).toEqual([...read[shard]!].sort());
    expect(read[0]!.length).toBeGreaterThan(0);
    expect(read[1]!.length).toBeGreaterThan(0);
    expect(read.flat().sort()).toEqual(ids.filter((id) => id !== 'p07'));
    expect(await store.subscriberPage(room, 2, { pageSize: 4 })).toEqual({ subscribers: [] });
  });
});
