import { afterEach, describe, expect, it, vi } from 'vitest';
import * as fanOutWorker from '../../../lambdas/fan-out-worker';
import * as httpPublish from '../../../lambdas/http-publish';
import * as wsConnect from '../../../lambdas/ws-connect';
import * as wsDisconnect from '../../../lambdas/ws-disconnect';
import * as wsMessage from '../../../lambdas/ws-message';
import { PowertoolsMetrics } from '../../../shared/adapters/powertools-metrics';
import type { Env } from '../../../shared/app/config';
import { createRuntime, type Runtime } from '../../../shared/app/runtime';
import { shardOf } from '../../../shared/core/channels';
import { CONNECTING_GRACE_MS } from '../../../shared/core/delivery/post';
import { METRICS, type MetricName } from '../../../shared/core/metrics';
import { GatewayError } from '../../../shared/core/ports';
import { publish } from '../../../shared/core/publish';
import { httpEvent, sqsRecord, wsEvent } from '../../support/events';
import { FakeGateway, fakeParts } from '../../support/fakes';
import { user } from '../../support/world';

/**
 * Switchboard's metrics as the handlers write them: CloudWatch embedded metric format (EMF) documents, made
 * by Powertools Metrics (shared/adapters/powertools-metrics.ts) from what the core records, one JSON text each.
 */

interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

const SERVICE = 'switchboard-unit';

/** A runtime of fakes whose metrics are the real Powertools adapter, writing its documents here. */
function emfWorld(env: Env = {}) {
  const documents: EmfDocument[] = [];
  const { metrics: _recorder, ...parts } = fakeParts();
  const gateway = new FakeGateway();
  const runtime = createRuntime(
    { POWERTOOLS_SERVICE_NAME: SERVICE, ...env },
    { ...parts, gateway, metricsSink: (text) => documents.push(JSON.parse(text) as EmfDocument) },
  );
  return { runtime, gateway, documents, ...parts };
}

const subscriber = { sub: null, username: 'Anonymous', orgs: [], scopes: [], exp: null };

describe('one fan-out', () => {
  it('emits one EMF document with its totals under [service], and its publish by namespace under [service, namespace]', async () => {
    const { runtime, gateway, connections, clock, documents } = emfWorld();
    for (const id of ['c1', 'c2', 'c3']) {
      await connections.put({
        connectionId: id,
        principal: subscriber,
        channels: [],
        connectedAt: 0,
        expiresAt: 4e9,
      });
      await connections.subscribe(id, 'room:lobby', 100);
    }
    gateway.gone.add('c3'); // its socket closed without $disconnect: 410, then removed
    const post = gateway.post.bind(gateway);
    gateway.post = async (connectionId, data) => {
      clock.advance(5); // each post takes 5 ms of the fake clock: the fan-out's duration is theirs
      return post(connectionId, data);
    };

    const before = Date.now();
    const publication = await publish(runtime, {
      channels: [runtime.channels.parse('room:lobby')],
      event: { type: 'publication', data: { text: 'hi' } },
    });
    expect(publication.delivery).toEqual({ recipients: 3, delivered: 2, gone: 1, failed: 0, queued: 0 });
    expect(documents).toEqual([]); // recorded in memory until the invocation ends
    await runtime.metrics.flush();

    expect(documents).toEqual([
      {
        _aws: {
          Timestamp: expect.any(Number),
          CloudWatchMetrics: [
            {
              Namespace: 'Switchboard',
              Dimensions: [['service']],
              Metrics: [
                { Name: 'Deliveries', Unit: 'Count' },
                { Name: 'GoneConnections', Unit: 'Count' },
                { Name: 'Publishes', Unit: 'Count' },
                { Name: 'FanOutDuration', Unit: 'Milliseconds' },
              ],
            },
          ],
        },
        service: SERVICE,
        Deliveries: 2,
        GoneConnections: 1,
        Publishes: 1,
        FanOutDuration: 15,
      },
      {
        _aws: {
          Timestamp: expect.any(Number),
          CloudWatchMetrics: [
            {
              Namespace: 'Switchboard',
              Dimensions: [['service', 'namespace']],
              Metrics: [{ Name: 'Publishes', Unit: 'Count' }],
            },
          ],
        },
        service: SERVICE,
        namespace: 'room',
        Publishes: 1,
      },
    ]);
    expect(documents[0]!._aws.Timestamp).toBeGreaterThanOrEqual(before);
    expect(documents[0]!._aws.Timestamp).toBeLessThanOrEqual(Date.now());

    // A flush forgets what it wrote: the next invocation starts from nothing.
    await runtime.metrics.flush();
    expect(documents).toHaveLength(2);
  });
});

describe('the Powertools adapter', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes nothing for an invocation that recorded nothing, or only zeros', async () => {
    const documents: string[] = [];
    const metrics = new PowertoolsMetrics({ service: SERVICE, sink: (d) => documents.push(d) });
    await metrics.flush();
    metrics.count('FailedPosts', 0);
    metrics.countBy('Errors', 'INTERNAL', 0);
    await metrics.flush();
    expect(documents).toEqual([]);
  });

  it('sums counts, keeps each duration, and writes one document per breakdown value', async () => {
    const documents: EmfDocument[] = [];
    const metrics = new PowertoolsMetrics({ service: SERVICE, sink: (d) => documents.push(JSON.parse(d)) });
    metrics.countBy('Errors', 'RATE_LIMITED');
    metrics.countBy('Errors', 'INVALID_JSON');
    metrics.countBy('Errors', 'RATE_LIMITED');
    metrics.duration('FanOutDuration', 3);
    metrics.duration('FanOutDuration', 40);
    await metrics.flush();
    expect(documents.map(({ _aws, ...values }) => [_aws.CloudWatchMetrics[0]!.Dimensions, values])).toEqual([
      [[['service']], { service: SERVICE, Errors: 3, FanOutDuration: [3, 40] }],
      [[['service', 'code']], { service: SERVICE, code: 'RATE_LIMITED', Errors: 2 }],
      [[['service', 'code']], { service: SERVICE, code: 'INVALID_JSON', Errors: 1 }],
    ]);
  });

  it('flushes before a duration reaches the 100 values EMF allows per metric, through its sink', async () => {
    const documents: EmfDocument[] = [];
    const metrics = new PowertoolsMetrics({ service: SERVICE, sink: (d) => documents.push(JSON.parse(d)) });
    for (let i = 0; i < 150; i++) metrics.duration('FanOutDuration', i);
    await metrics.flush();
    expect(documents.map((d) => (d.FanOutDuration as number[]).length)).toEqual([99, 51]);
  });

  it('prints the documents on stdout without a sink, as Powertools does in Lambda', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const metrics = new PowertoolsMetrics({ service: SERVICE });
    metrics.count('Connects');
    await metrics.flush();
    vi.restoreAllMocks();
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'Switchboard', Dimensions: [['service']] }] },
      service: SERVICE,
      Connects: 1,
    });
  });
});

describe('the handlers', () => {
  /** Every document's metrics as `Name [dimension, …]`, with their values summed. */
  function emitted(documents: EmfDocument[]): Map<string, number> {
    const out = new Map<string, number>();
    for (const doc of documents) {
      for (const directive of doc._aws.CloudWatchMetrics) {
        expect(directive.Namespace).toBe(METRICS.namespace);
        for (const dimensions of directive.Dimensions) {
          const labels = dimensions.map((d) => `${d}=${String(doc[d])}`).join(',');
          for (const { Name } of directive.Metrics) {
            // A count's value; a duration's number of samples.
            const value = doc[Name] as number | number[];
            const n =
              METRICS.metrics[Name as MetricName].unit === 'Count'
                ? (value as number)
                : [value].flat().length;
            const key = `${Name} [${labels}]`;
            out.set(key, (out.get(key) ?? 0) + n);
          }
        }
      }
    }
    return out;
  }

  it('emit every metric of shared/core/metrics.ts, totals under [service] and breakdowns under [service, by]', async () => {
    // No presence notices in rooms: every delivery below is one of the publishes. A channel of more than
    // three subscribers goes to the fan-out workers.
    const world = emfWorld({
      RATE_LIMIT_PER_MINUTE: '4',
      PRESENCE_ANNOUNCE_MAX: '0',
      FANOUT_QUEUE_THRESHOLD: '3',
    });
    const { runtime: rt, gateway, documents, fanOutQueue } = world;
    const context = { getRemainingTimeInMillis: () => 60_000 };
    const invoke = async <E, R>(
      make: (rt: Runtime) => (event: E, c: typeof context) => Promise<R>,
      event: E,
    ) => {
      try {
        return await make(rt)(event, context);
      } finally {
        await rt.metrics.flush(); // as lambdaHandler and the local invoker do after each invocation
      }
    };
    const alice = user('alice');
    const bob = user('bob');
    const frame = (body: unknown, connectionId = 'alice-1', principal = alice) =>
      invoke(
        wsMessage.makeHandler,
        wsEvent('publish', { body: JSON.stringify(body) }, principal, connectionId),
      );

    // Connects, and a refusal with 400 (a channel list that does not parse).
    await invoke(
      wsConnect.makeHandler,
      wsEvent('$connect', { queryStringParameters: { channels: 'room:lobby' } }, alice, 'alice-1'),
    );
    await invoke(
      wsConnect.makeHandler,
      wsEvent('$connect', { queryStringParameters: { channels: 'room:lobby' } }, bob, 'bob-1'),
    );
    await invoke(
      wsConnect.makeHandler,
      wsEvent('$connect', { queryStringParameters: { channels: 'nope:x' } }, bob, 'bob-2'),
    );
    // A publish that reaches bob; then one whose post to bob fails (FailedPosts), then one that finds him gone.
    await frame({ type: 'publish', channel: 'room:lobby', data: { n: 1 } });
    gateway.post = async (connectionId) => {
      if (connectionId === 'bob-1') throw new GatewayError('Forbidden', { status: 403, retryable: false });
      return 'delivered';
    };
    await frame({ type: 'publish', channel: 'room:lobby', data: { n: 2 } });
    gateway.post = FakeGateway.prototype.post.bind(gateway);
    gateway.gone.add('bob-1');
    world.clock.advance(CONNECTING_GRACE_MS); // past its $connect: a 410 now means gone, and it is removed
    // Recovery: a second connection of alice subscribes with since 0 and is replayed the stored messages.
    await invoke(wsConnect.makeHandler, wsEvent('$connect', {}, alice, 'alice-2'));
    await frame({ type: 'subscribe', channel: 'room:lobby', since: 0 }, 'alice-2');
    await frame({ type: 'publish', channel: 'room:lobby', data: { n: 3 } });
    // Two more subscribers: the next publish (n=4, from alice-2) is queued, and the fan-out workers deliver
    // it to the four of them (a `channel` message per shard, then the `connections` message of each shard
    // that has any of them).
    for (const id of ['bob-3', 'bob-4']) {
      await invoke(
        wsConnect.makeHandler,
        wsEvent('$connect', { queryStringParameters: { channels: 'room:lobby' } }, bob, id),
      );
    }
    await frame({ type: 'publish', channel: 'room:lobby', data: { n: 4 } }, 'alice-2');
    for (let i = 0; fanOutQueue.sent.length > 0; i++) {
      const records = fanOutQueue.take(10).map((m, j) => sqsRecord(m.body, `m${i}-${j}`));
      expect(await invoke(fanOutWorker.makeHandler, { Records: records })).toEqual({ batchItemFailures: [] });
    }
    // Not JSON, then over the rate limit of 4 frames a minute on alice-1 (this is its 4th and 5th).
    await frame('{oops', 'alice-1');
    await frame({ type: 'ping' }, 'alice-1');
    // An HTTP problem: POST /v1/publish without a token.
    await invoke(httpPublish.makeHandler, httpEvent('POST /v1/publish', { body: '{}' }));
    await invoke(wsDisconnect.makeHandler, wsEvent('$disconnect', {}, alice, 'alice-2'));

    const metrics = emitted(documents);
    const s = `service=${SERVICE}`;
    const shards = rt.channels.subscriberShards('room:lobby');
    const shardsHolding = (ids: string[]) => new Set(ids.map((id) => shardOf(id, shards))).size;
    expect(Object.fromEntries(metrics)).toEqual({
      [`Connects [${s}]`]: 5,
      [`ConnectRefusals [${s}]`]: 1,
      [`ConnectRefusals [${s},status=400]`]: 1,
      [`Frames [${s}]`]: 7,
      [`Frames [${s},type=publish]`]: 4,
      [`Frames [${s},type=subscribe]`]: 1,
      [`Frames [${s},type=unknown]`]: 2,
      [`Errors [${s}]`]: 3,
      [`Errors [${s},code=INVALID_JSON]`]: 1,
      [`Errors [${s},code=RATE_LIMITED]`]: 1,
      [`Errors [${s},code=UNAUTHORIZED]`]: 1,
      [`RateLimitedFrames [${s}]`]: 1,
      [`Publishes [${s}]`]: 4,
      [`Publishes [${s},namespace=room]`]: 4,
      // n=1: alice-1 and bob; n=2: alice-1 (bob's post failed); n=3: alice-1 and alice-2 (bob was gone);
      // n=4, by the worker: alice-1, alice-2, bob-3 and bob-4
      [`Deliveries [${s}]`]: 9,
      [`QueuedRecipients [${s}]`]: 4,
      [`FailedPosts [${s}]`]: 1,
      [`GoneConnections [${s}]`]: 1,
      [`RecoveredMessages [${s}]`]: 2,
      // one sample per publish posted to in-process, and one per `connections` message of the workers: one
      // per shard of room:lobby that holds one of the four
      [`FanOutDuration [${s}]`]: 3 + shardsHolding(['alice-1', 'alice-2', 'bob-3', 'bob-4']),
      [`Disconnects [${s}]`]: 1,
    });

    // Every metric of the list, under the dimensions the alarms and the dashboard read (infra/constructs/monitoring.ts).
    const names = new Set([...metrics.keys()].map((k) => k.split(' ')[0] as MetricName));
    expect([...names].sort()).toEqual(Object.keys(METRICS.metrics).sort());
    for (const [name, spec] of Object.entries(METRICS.metrics)) {
      const dimensionSets = new Set(
        [...metrics.keys()]
          .filter((k) => k.startsWith(`${name} [`))
          .map((k) => k.slice(name.length + 2, -1).replace(/=[^,]*/g, '')),
      );
      expect([...dimensionSets].sort()).toEqual(
        'by' in spec ? ['service', `service,${spec.by}`] : ['service'],
      );
    }
  });
});
