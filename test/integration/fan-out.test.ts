import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Stub, startStub } from '../../bench/stub';
import { connectionIds, writeSubscribers } from '../../bench/subscribers-table';
import type { LocalStack } from '../../local/index';
import { createSwitchboard } from '../../server/index';
import { createDocumentClient } from '../../shared/adapters/dynamo/client';
import { clientPool, unique } from './support/client';
import { publish, startTestStack, token } from './support/stack';

/**
 * The queued delivery tier on the local stack: the publisher's SQS client, the SQS emulation on its own
 * port, its event source mapping, the fan-out worker. First with real sockets (the threshold lowered to 2),
 * then 20,000 subscriber records written straight into the table and a stub Management API in its own
 * process that counts what it is sent.
 */
describe('An audience over the threshold, on real sockets', () => {
  let stack: LocalStack;
  const clients = clientPool();
  beforeAll(async () => {
    stack = await startTestStack({ env: { FANOUT_QUEUE_THRESHOLD: '2' } });
  });
  afterEach(() => clients.closeAll());
  afterAll(() => stack.stop());

  it('is answered queued, over HTTP and WebSocket, and the workers bring every socket the frame once', async () => {
    const room = unique('room:');
    const sockets = await Promise.all(
      [1, 2, 3].map(() => clients.connect(stack.wsUrl, { channels: [room] })),
    );
    const { queue, eventSource } = stack.queues.get('fan-out')!;
    // The third join's announcement went to three subscribers: the workers delivered it too.
    await eventSource.idle();
    const before = { ...queue.stats };
    const service = await token(stack.httpUrl, { sub: unique('svc-'), scope: 'realtime:publish' });

    const res = await publish(stack.httpUrl, service, {
      channel: room,
      type: 'announcement',
      data: { n: 1 },
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id: expect.any(String), recipients: 3, seq: 1, status: 'queued' });
    for (const socket of sockets) {
      const frame = await socket.nextOfType('announcement');
      expect(frame).toMatchObject({ channel: room, id: res.body.id, seq: 1, n: 1 });
    }

    sockets[0]!.send({ type: 'publish', channel: room, data: { n: 2 }, id: 'big-1' });
    expect(await sockets[0]!.nextOfType('ack')).toMatchObject({ ref: 'big-1', seq: 2, status: 'queued' });
    for (const socket of sockets) {
      expect(await socket.nextOfType('publication')).toMatchObject({ channel: room, seq: 2, data: { n: 2 } });
    }
    // Once each: nothing more came before a ping's pong.
    for (const socket of sockets) {
      expect(
        (await socket.sync()).filter((f) => f.type === 'announcement' || f.type === 'publication'),
      ).toEqual([]);
    }
    await eventSource.idle();
    // At least two channel messages, each split into a connections message (join announcements may add
    // theirs); every one deleted once handled, none received twice.
    expect(queue.stats.sent - before.sent).toBeGreaterThanOrEqual(4);
    expect(queue.stats).toMatchObject({ redelivered: 0, deadLettered: 0 });
    expect(queue.stats.deleted).toBe(queue.stats.sent);
  });

  it('is queued by the server library given the stack’s fan-out queue, and delivered by the stack’s workers', async () => {
    const room = unique('room:');
    const sockets = await Promise.all(
      [1, 2, 3].map(() => clients.connect(stack.wsUrl, { channels: [room] })),
    );
    const library = createSwitchboard({
      tableName: stack.tableName,
      callbackUrl: stack.callbackUrl,
      endpoint: stack.dynamodbEndpoint,
      credentials: stack.credentials,
      fanOutQueueUrl: stack.queues.get('fan-out')!.url,
      fanOutQueueThreshold: 2,
    });
    try {
      const sent = await library.publish(room, 'from_the_backend', { n: 3 });
      expect(sent).toMatchObject({ channel: room, recipients: 3, status: 'queued', delivered: 0, seq: 1 });
      for (const socket of sockets) {
        expect(await socket.nextOfType('from_the_backend')).toMatchObject({ id: sent.id, seq: 1, n: 3 });
      }
    } finally {
      library.close();
    }
  });
});

describe('A publish to 20,000 subscribers over HTTP', () => {
  const SUBSCRIBERS = 20_000;
  const DELIVERY_DEADLINE_MS = 60_000;
  const QUOTA = 200_000;
  let stub: Stub;
  let stack: LocalStack;
  beforeAll(async () => {
    // No latency to wait for, and a quota high enough that the pacing (core/delivery/pacing.ts, tested
    // with fakes) does not set the pace: what this measures is the queued path, not a rate limit. The
    // stub refuses with 429 above the same quota, so a worker over its share would still show.
    stub = await startStub({ latencyMs: 0, quota: QUOTA });
    // A DynamoDB Local of its own (in memory): 20,000 writes and reads would hold up the suite's for
    // seconds, and with it the other files' stacks (a test elsewhere waits 10 s for a frame).
    stack = await startTestStack({
      dynamodbEndpoint: undefined,
      env: {
        WS_CALLBACK_URL: `http://127.0.0.1:${stub.port}/local`,
        MANAGEMENT_API_QUOTA: String(QUOTA),
      },
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    stub?.stop();
  });

  it('answers queued within a second, and every subscriber gets it once afterwards', {
    // 20,000 records written into DynamoDB Local and read back by the workers: ~70 s seen on a loaded machine.
    timeout: 240_000,
  }, async () => {
    const room = unique('room:');
    const db = createDocumentClient({ region: 'us-east-1', endpoint: stack.dynamodbEndpoint });
    const setup = performance.now();
    await writeSubscribers(db, stack.tableName, room, connectionIds(SUBSCRIBERS, 'it'), {
      concurrency: 16,
    });
    db.destroy();
    const setupMs = performance.now() - setup;
    const service = await token(stack.httpUrl, { sub: unique('svc-'), scope: 'realtime:publish' });

    const started = performance.now();
    const res = await publish(stack.httpUrl, service, { channel: room, type: 'big_news', data: {} });
    const answeredMs = performance.now() - started;
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ recipients: SUBSCRIBERS, seq: 1, status: 'queued' });
    expect(answeredMs).toBeLessThan(1000);

    const deadline = Date.now() + DELIVERY_DEADLINE_MS;
    let stats = await stub.stats();
    while (stats.unique < SUBSCRIBERS && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      stats = await stub.stats();
    }
    await stack.queues.get('fan-out')!.eventSource.idle();
    stats = await stub.stats();
    console.info(
      `20,000 subscribers: written in ${Math.round(setupMs)} ms, answered in ${Math.round(answeredMs)} ms, ` +
        `delivered in ${Math.round(performance.now() - started)} ms`,
    );
    expect(stats.unique).toBe(SUBSCRIBERS);
    expect(stats.delivered - stats.unique).toBe(0); // no connection got it twice

    // The workers' metrics, written after each of their invocations as the publisher's are: the queued
    // audience (and any continuation), then every post they made.
    const counts: Record<string, number> = {};
    const metrics = stack.metrics(600);
    for (const bucket of metrics.buckets) {
      for (const [name, n] of Object.entries(bucket.counts)) counts[name] = (counts[name] ?? 0) + n;
    }
    expect(counts.Deliveries).toBe(SUBSCRIBERS);
    expect(counts.QueuedRecipients).toBeGreaterThanOrEqual(SUBSCRIBERS);
    expect(counts.FailedPosts).toBeUndefined();
    expect(metrics.buckets.some((b) => (b.durations.FanOutDuration?.count ?? 0) > 0)).toBe(true);
  });
});
