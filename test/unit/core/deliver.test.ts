import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoConnectionStore } from '../../../shared/adapters/dynamo/connection-store';
import {
  DeleteCommand,
  GetCommand,
  QueryCommand,
  UpdateCommand,
} from '../../../shared/adapters/dynamo/document-client';
import { ManagementApiGateway } from '../../../shared/adapters/management-api/gateway';
import { deliver } from '../../../shared/core/delivery/deliver';
import { CONNECTING_GRACE_MS } from '../../../shared/core/delivery/post';
import { GatewayError } from '../../../shared/core/ports';
import { mockDocumentClient, stubbedDocumentClient } from '../../support/dynamo-mock';
import { FakeClock, FakeConnectionStore, FakeGateway, FakeMetrics, MemoryLog } from '../../support/fakes';
import { type ManagementApiStub, postedTo, startManagementApiStub } from '../../support/management-api-stub';

const CHANNEL = 'room:big';
const TOTAL = 2_500;
const PAGE = 1_000;
const CONCURRENCY = 16;
const ids = Array.from({ length: TOTAL }, (_, i) => `conn-${String(i).padStart(4, '0')}=`);
const goneIds = new Set(ids.filter((_, i) => i % 10 === 7)); // 250 sockets died without $disconnect

const ddb = mockDocumentClient();
/** The stage's Management API: a loopback server answering posts as API Gateway does. */
let mgmt: ManagementApiStub;
beforeAll(async () => {
  mgmt = await startManagementApiStub();
});
afterAll(() => mgmt.close());

afterEach(() => {
  ddb.reset();
  mgmt.requests.length = 0;
});

/** The subscription partition as DynamoDB pages it: `Limit` items per page, LastEvaluatedKey between. */
function serveSubscriberPages() {
  ddb.on(QueryCommand).callsFake((input: { ExclusiveStartKey?: { sk: string }; Limit?: number }) => {
    expect(input).toMatchObject({ KeyConditionExpression: 'pk = :pk AND begins_with(sk, :conn)' });
    const start = input.ExclusiveStartKey ? ids.indexOf(input.ExclusiveStartKey.sk.slice(5)) + 1 : 0;
    const slice = ids.slice(start, start + (input.Limit ?? PAGE));
    const last = slice.at(-1);
    return {
      Items: slice.map((connectionId) => ({ connectionId, expiresAt: 4_000_000_000 })),
      ...(start + slice.length < ids.length && last
        ? { LastEvaluatedKey: { pk: `chan#${CHANNEL}`, sk: `conn#${last}` } }
        : {}),
    };
  });
  // Removing a gone connection: its meta item (with its channels), then each subscription and count.
  ddb.on(DeleteCommand).callsFake((input: { Key: { pk: string; sk: string } }) => {
    const { pk, sk } = input.Key;
    if (sk === 'meta') {
      return {
        Attributes: { connectionId: pk.slice(5), channels: new Set([CHANNEL]), expiresAt: 4_000_000_000 },
      };
    }
    if (sk.startsWith('conn#')) return { Attributes: { pk, sk } };
    return {};
  });
  ddb.on(UpdateCommand).resolves({ Attributes: { cnt: 1 } });
  // Before removing one, fan-out reads when it connected: these are long past their $connect.
  ddb.on(GetCommand).callsFake((input: { Key: { pk: string } }) => ({
    Item: { connectionId: input.Key.pk.slice(5), connectedAt: 1, expiresAt: 4_000_000_000 },
  }));
}

function deletedKeys(): string[] {
  return ddb.commandCalls(DeleteCommand).map((c) => {
    const key = c.args[0].input.Key as { pk: string; sk: string };
    return `${key.pk}|${key.sk}`;
  });
}

describe('When 2,500 subscribers over three Query pages get one frame and 250 of them are gone', () => {
  it('posts each live one once, removes exactly the gone ones with their subscriptions, within the concurrency bound', async () => {
    serveSubscriberPages();
    // API Gateway: 410 GoneException for a connection that is gone, 200 otherwise, each after a moment.
    mgmt.answer = async (req) => {
      await new Promise((r) => setTimeout(r, 2));
      return goneIds.has(postedTo(req) ?? '')
        ? { status: 410, headers: { 'x-amzn-errortype': 'GoneException' }, body: '{"message":"Gone"}' }
        : { status: 200 };
    };

    const clock = new FakeClock();
    const store = new DynamoConnectionStore(stubbedDocumentClient(), 'table', clock, () => 1);
    const gateway = new ManagementApiGateway({
      endpoint: mgmt.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    });
    // What the gateway hands its client: how many posts are in flight, and which bytes.
    let inFlight = 0;
    let maxInFlight = 0;
    const payloads = new Set<unknown>();
    const post = gateway.client.post.bind(gateway.client);
    vi.spyOn(gateway.client, 'post').mockImplementation(async (connectionId, data) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      payloads.add(data);
      try {
        await post(connectionId, data);
      } finally {
        inFlight--;
      }
    });
    const payload = new TextEncoder().encode(JSON.stringify({ type: 'publication', channel: CHANNEL }));

    const metrics = new FakeMetrics();
    const result = await deliver(
      {
        connections: store,
        gateway,
        clock,
        log: new MemoryLog(),
        metrics,
        dialects: {},
        config: { fanOut: { concurrency: CONCURRENCY, pageSize: PAGE, queueThreshold: 0 } },
      },
      [{ channel: CHANNEL, payload }],
    );
    gateway.destroy();

    expect(ddb.commandCalls(QueryCommand)).toHaveLength(3);
    expect(result).toEqual({ recipients: TOTAL, delivered: TOTAL - 250, gone: 250, failed: 0, queued: 0 });
    // The metrics of the fan-out are its report's counts, once (a failed post would be FailedPosts).
    expect(metrics.totals).toEqual({ Deliveries: TOTAL - 250, GoneConnections: 250 });
    expect(metrics.samples.FanOutDuration).toHaveLength(1);
    const posted = mgmt.requests.map(postedTo);
    expect(posted.sort()).toEqual([...ids].sort()); // each once, the gone ones included (they answered 410)
    expect(new Set(mgmt.requests.map((r) => r.body))).toEqual(new Set([new TextDecoder().decode(payload)]));
    expect(maxInFlight).toBeLessThanOrEqual(CONCURRENCY);
    expect(maxInFlight).toBe(CONCURRENCY); // the bound was actually reached: the test could fail
    expect(payloads.size).toBe(1); // one serialized frame, the same bytes for every post
    expect([...payloads][0]).toBe(payload);

    // Exactly the gone connections' meta items and their subscriptions were deleted, nothing else.
    const expected = [...goneIds].flatMap((id) => [`conn#${id}|meta`, `chan#${CHANNEL}|conn#${id}`]);
    expect(deletedKeys().sort()).toEqual(expected.sort());
  });
});

describe('delivery with fakes', () => {
  function world(n: number) {
    const connections = new FakeConnectionStore();
    const gateway = new FakeGateway();
    for (let i = 0; i < n; i++) {
      const id = `c${i}`;
      connections.records.set(id, {
        connectionId: id,
        principal: { sub: null, username: 'Anonymous', orgs: [], scopes: [], exp: null },
        channels: ['room:x'],
        connectedAt: 0,
        expiresAt: 4_000_000_000,
      });
      const subs = connections.subs.get('room:x') ?? new Map();
      subs.set(id, { connectionId: id, userId: null });
      connections.subs.set('room:x', subs);
    }
    const deps = {
      connections,
      gateway,
      clock: new FakeClock(),
      log: new MemoryLog(),
      metrics: new FakeMetrics(),
      dialects: {},
      config: { fanOut: { concurrency: 8, pageSize: 7, queueThreshold: 0 } },
    };
    return { connections, gateway, deps };
  }
  const payload = new TextEncoder().encode('{}');

  it('skips excluded connections, and reaches a connection on two targets once, through the first', async () => {
    const { gateway, deps } = world(5);
    const direct = new TextEncoder().encode('{"direct":true}');
    const r = await deliver(
      deps,
      [
        { connectionIds: ['c1', 'c1', 'c0'], payload: direct },
        { channel: 'room:x', payload },
      ],
      { exclude: new Set(['c0']) },
    );
    expect(gateway.posts.map((p) => p.connectionId).sort()).toEqual(['c1', 'c2', 'c3', 'c4']);
    expect(gateway.posts.find((p) => p.connectionId === 'c1')?.data).toBe(direct);
    expect(r).toEqual({ recipients: 4, delivered: 4, gone: 0, failed: 0, queued: 0 });
  });

  it('skips a subscriber whose recovery replay covers the seq, and reaches it for later seqs', async () => {
    const { connections, gateway, deps } = world(2);
    const sub = connections.subs.get('room:x')?.get('c1');
    if (sub) sub.replayedTo = 10;
    await deliver(deps, [{ channel: 'room:x', payload, seq: 10 }]);
    await deliver(deps, [{ channel: 'room:x', payload, seq: 11 }]);
    expect(gateway.posts.map((p) => p.connectionId)).toEqual(['c0', 'c0', 'c1']);
  });

  describe('a subscription whose recovery replay is still pending', () => {
    /** c1 subscribed with `since`; its subscribe learns the seq it replays after the fan-out found it. */
    function pending(resolveAfterReads: number | null, replayedTo: number) {
      const w = world(2);
      const sub = w.connections.subs.get('room:x')?.get('c1');
      if (sub) sub.replayPending = true;
      let reads = 0;
      const original = w.connections.getSubscription.bind(w.connections);
      w.connections.getSubscription = async (channel, id) => {
        if (++reads === resolveAfterReads) await w.connections.setReplayedTo(id, channel, replayedTo);
        return original(channel, id);
      };
      return { ...w, reads: () => reads };
    }

    it('waits for its mark and leaves it a message the replay covers', async () => {
      const { gateway, deps, reads } = pending(2, 10);
      const r = await deliver(deps, [{ channel: 'room:x', payload, seq: 10 }]);
      expect(gateway.posts.map((p) => p.connectionId)).toEqual(['c0']);
      expect(r.recipients).toBe(1);
      expect(reads()).toBe(2);
    });

    it('waits for its mark and posts it a message newer than the replay', async () => {
      const { gateway, deps } = pending(1, 10);
      await deliver(deps, [{ channel: 'room:x', payload, seq: 11 }]);
      expect(gateway.posts.map((p) => p.connectionId).sort()).toEqual(['c0', 'c1']);
    });

    it('posts it when the mark never comes: a duplicate rather than a loss', async () => {
      const { gateway, deps, reads } = pending(null, 0);
      await deliver(deps, [{ channel: 'room:x', payload, seq: 3 }]);
      expect(gateway.posts.map((p) => p.connectionId).sort()).toEqual(['c0', 'c1']);
      expect(reads()).toBe(6);
      expect(deps.log.lines.some((l) => l.level === 'warn' && l.message.includes('recovery mark'))).toBe(
        true,
      );
    });

    it('reports it failed, and logs why, when reading its mark throws: every recipient is accounted for', async () => {
      const { connections, gateway, deps } = pending(null, 0);
      connections.getSubscription = async () => {
        throw new Error('ProvisionedThroughputExceeded');
      };
      const r = await deliver(deps, [{ channel: 'room:x', payload, seq: 3 }]);
      expect(gateway.posts.map((p) => p.connectionId)).toEqual(['c0']);
      expect(r).toEqual({ recipients: 2, delivered: 1, gone: 0, failed: 1, queued: 0 });
      expect(
        deps.log.lines.some(
          (l) => l.level === 'error' && String(l.extra?.error).includes('ProvisionedThroughputExceeded'),
        ),
      ).toBe(true);
    });

    it('skips it when it went away while the fan-out waited', async () => {
      const { connections, gateway, deps } = pending(null, 0);
      connections.getSubscription = async () => null;
      await deliver(deps, [{ channel: 'room:x', payload, seq: 3 }]);
      expect(gateway.posts.map((p) => p.connectionId)).toEqual(['c0']);
    });
  });

  it('retries throttling with backoff and counts the post delivered', async () => {
    const { gateway, deps } = world(1);
    let calls = 0;
    gateway.post = async () => {
      calls++;
      if (calls < 3)
        throw new GatewayError('LimitExceededException: slow down', { status: 429, retryable: true });
      return 'delivered';
    };
    const before = deps.clock.now();
    const r = await deliver(deps, [{ channel: 'room:x', payload }]);
    expect(r).toMatchObject({ delivered: 1, failed: 0 });
    expect(calls).toBe(3);
    expect(deps.clock.now() - before).toBeGreaterThanOrEqual(20 + 40);
  });

  it('leaves a 410 connection alone while it may still be inside $connect, and removes it after', async () => {
    const { connections, gateway, deps } = world(2);
    deps.clock.t = 10 * CONNECTING_GRACE_MS;
    connections.records.get('c1')!.connectedAt = deps.clock.now() - CONNECTING_GRACE_MS + 1_000;
    gateway.gone.add('c0').add('c1');

    expect(await deliver(deps, [{ channel: 'room:x', payload }])).toMatchObject({ gone: 1, failed: 1 });
    expect([...connections.records.keys()]).toEqual(['c1']);

    deps.clock.advance(1_000);
    expect(await deliver(deps, [{ channel: 'room:x', payload }])).toMatchObject({ gone: 1, failed: 0 });
    expect(connections.records.size).toBe(0);
  });

  it("decides a 410 from the subscription's own connectedAt, without reading the record, when it carries one", async () => {
    const { connections, gateway, deps } = world(2);
    deps.clock.t = 10 * CONNECTING_GRACE_MS;
    const subs = connections.subs.get('room:x')!;
    subs.get('c0')!.connectedAt = 0; // long ago: gone for good
    subs.get('c1')!.connectedAt = deps.clock.now() - 1_000; // may still be inside its $connect
    // The records say the opposite: had they been read, c0 would stay and c1 would go.
    connections.records.get('c0')!.connectedAt = deps.clock.now();
    connections.records.get('c1')!.connectedAt = 0;
    let reads = 0;
    const get = connections.get.bind(connections);
    connections.get = async (id) => {
      reads++;
      return get(id);
    };
    gateway.gone.add('c0').add('c1');

    expect(await deliver(deps, [{ channel: 'room:x', payload }])).toMatchObject({ gone: 1, failed: 1 });
    expect(reads).toBe(0);
    expect([...connections.records.keys()]).toEqual(['c1']);
  });

  it('gives up on a connection after the retries and reports it failed, keeping it', async () => {
    const { connections, gateway, deps } = world(1);
    gateway.post = async () => {
      throw new GatewayError('InternalServerError: boom', { status: 500, retryable: true });
    };
    const r = await deliver(deps, [{ channel: 'room:x', payload }]);
    expect(r).toMatchObject({ delivered: 0, failed: 1, gone: 0 });
    expect(connections.records.has('c0')).toBe(true);
  });
});

it('does not retry what the gateway says would fail again, and reports it failed', async () => {
  const connections = new FakeConnectionStore();
  await connections.put({
    connectionId: 'c0',
    principal: { sub: null, username: 'Anonymous', orgs: [], scopes: [], exp: null },
    channels: [],
    connectedAt: 0,
    expiresAt: 4_000_000_000,
  });
  const gateway = new FakeGateway();
  let calls = 0;
  gateway.post = async () => {
    calls++;
    throw new GatewayError('PayloadTooLargeException: too big', { status: 413, retryable: false });
  };
  const log = new MemoryLog();
  const metrics = new FakeMetrics();
  const r = await deliver(
    {
      connections,
      gateway,
      clock: new FakeClock(),
      log,
      metrics,
      dialects: {},
      config: { fanOut: { concurrency: 1, pageSize: 1, queueThreshold: 0 } },
    },
    [{ connectionIds: ['c0'], payload: new Uint8Array([1]) }],
  );
  expect(r).toEqual({ recipients: 1, delivered: 0, gone: 0, failed: 1, queued: 0 });
  expect(metrics.totals).toEqual({ FailedPosts: 1 });
  expect(calls).toBe(1);
  expect(log.lines.some((l) => l.level === 'warn' && String(l.extra?.error).includes('too big'))).toBe(true);
});
