import { describe, expect, it } from 'vitest';
import { fanOutWorkerHandler } from '../../../shared/app/queue';
import { ANONYMOUS } from '../../../shared/core/auth/principal';
import { shardOf } from '../../../shared/core/channels';
import {
  CONNECTIONS_PER_MESSAGE,
  connectionsMessages,
  decodeFanOutMessage,
  encodeFanOutMessage,
  FanOutMessageError,
} from '../../../shared/core/delivery/fan-out-queue';
import { MAX_ROUNDS } from '../../../shared/core/delivery/worker';
import { FAN_OUT_MESSAGE_MAX_BYTES } from '../../../shared/core/ports';
import { ackFrame, publish, pushAnswer } from '../../../shared/core/publish';
import { sqsRecord } from '../../support/events';
import { type FakeWorld, fakeWorld } from '../../support/fakes';

const ROOM = 'room:big';

/** `n` connections subscribed to `channel` (c0, c1, …), long past their $connect. */
function subscribe(world: FakeWorld, channel: string, n: number): string[] {
  const subs = world.connections.subs.get(channel) ?? new Map();
  world.connections.subs.set(channel, subs);
  return Array.from({ length: n }, (_, i) => {
    const connectionId = `c${i}`;
    world.connections.records.set(connectionId, {
      connectionId,
      principal: ANONYMOUS,
      channels: [channel],
      connectedAt: 0,
      expiresAt: 4_000_000_000,
    });
    subs.set(connectionId, { connectionId, userId: null });
    return connectionId;
  });
}

const event = { type: 'announcement', text: 'hello, everyone' };
/** How many partitions hold ROOM's subscriptions (the room namespace's), and which one holds a connection's. */
const shardsOfRoom = (world: FakeWorld) => world.channels.subscriberShards(ROOM);
/** The connections of each shard of ROOM, by shard. */
const byShard = (world: FakeWorld, ids: readonly string[]) => {
  const shards = shardsOfRoom(world);
  return Array.from({ length: shards }, (_, shard) => ids.filter((id) => shardOf(id, shards) === shard));
};
const publishTo = (world: FakeWorld, options: { exclude?: ReadonlySet<string> } = {}) =>
  publish(world, { channels: [world.channels.parse(ROOM)], event, ...options });

/**
 * Runs the fan-out worker on the fake queue until it is empty, batches of `batchSize` as the event source
 * takes them (a continuation's delay is not waited for: the fake clock has nothing to wait on). Each
 * invocation has `remainingMs` (the fake clock adds up the sleeps of concurrent posts, so a test that is
 * not about the time running out gives the worker plenty).
 */
async function drain(world: FakeWorld, { batchSize = 4, remainingMs = 1e9 } = {}) {
  const handler = fanOutWorkerHandler(world);
  const failed: string[] = [];
  const delays: number[] = [];
  let invocations = 0;
  while (world.fanOutQueue.sent.length > 0) {
    const batch = world.fanOutQueue.take(batchSize);
    delays.push(...batch.map((m) => m.delaySeconds));
    const records = batch.map((m, i) => sqsRecord(m.body, `m${invocations}-${i}`));
    const answer = await handler({ Records: records }, { getRemainingTimeInMillis: () => remainingMs });
    failed.push(...answer.batchItemFailures.map((f) => f.itemIdentifier));
    invocations++;
    if (invocations > 1000) throw new Error('the queue never emptied');
  }
  return { failed, delays, invocations };
}

/** How many times each connection got a frame (posts that went through). */
const postsPerConnection = (world: FakeWorld) => {
  const counts = new Map<string, number>();
  for (const p of world.gateway.posts) counts.set(p.connectionId, (counts.get(p.connectionId) ?? 0) + 1);
  return counts;
};

describe('The delivery tier a publish takes', () => {
  it('with a cap on the audience: posts in-process up to it without reading the count, nothing above it', async () => {
    const world = fakeWorld({ FANOUT_QUEUE_THRESHOLD: '3' });
    const ids = subscribe(world, ROOM, 3);
    let counted = 0;
    const count = world.connections.countSubscribers.bind(world.connections);
    world.connections.countSubscribers = (channel) => {
      counted++;
      return count(channel);
    };
    const capped = (maxAudience: number) =>
      publish(world, { channels: [world.channels.parse(ROOM)], event, maxAudience, ephemeral: true });

    const within = await capped(3);
    expect(within.delivery).toMatchObject({ recipients: 3, delivered: 3, queued: 0 });
    expect([...postsPerConnection(world).keys()].sort()).toEqual([...ids].sort());
    world.gateway.posts.length = 0;
    const above = await capped(2);
    expect(above.delivery).toMatchObject({ recipients: 0, delivered: 0, queued: 0 });
    expect(world.gateway.posts).toEqual([]);
    expect(counted).toBe(0);

    // A cap above the threshold reads the count: over the cap, nothing; between, the workers' queue.
    subscribe(world, ROOM, 5);
    expect((await capped(4)).delivery).toMatchObject({ recipients: 0, queued: 0 });
    expect((await capped(5)).delivery).toMatchObject({ recipients: 5, queued: 5 });
    expect(counted).toBe(2);
    expect(world.gateway.posts).toEqual([]);
  });

  it('posts to an audience up to the threshold itself, and answers delivered', async () => {
    const world = fakeWorld({ FANOUT_QUEUE_THRESHOLD: '3' });
    subscribe(world, ROOM, 3);
    const publication = await publishTo(world);
    expect(world.gateway.posts).toHaveLength(3);
    expect(world.fanOutQueue.sent).toEqual([]);
    expect(pushAnswer(publication)).toEqual({
      id: publication.id,
      recipients: 3,
      seq: 1,
      status: 'delivered',
      delivered: 3,
      gone: 0,
    });
    expect(ackFrame(publication, world.channels.parse(ROOM), 'r1')).toMatchObject({ status: 'delivered' });
  });

  it('hands a larger one to the workers once stored: one message per shard carrying the frame, answered queued', async () => {
    const world = fakeWorld({ FANOUT_QUEUE_THRESHOLD: '3' });
    subscribe(world, ROOM, 4);
    const publication = await publishTo(world);

    expect(world.gateway.posts).toEqual([]);
    const [stored] = world.messages.histories.get(ROOM)!;
    const shards = shardsOfRoom(world);
    expect(shards).toBeGreaterThan(1);
    const messages = world.fanOutQueue.sent.map((m) => decodeFanOutMessage(m.body));
    expect(messages.map((m) => m.job)).toEqual(
      Array.from({ length: shards }, (_, shard) => ({ kind: 'channel', channel: ROOM, shard, seq: 1 })),
    );
    for (const { frame } of messages) expect(frame).toBe(stored!.frame); // the frame exactly as stored
    expect(publication.delivery).toEqual({ recipients: 4, delivered: 0, gone: 0, failed: 0, queued: 4 });
    // Counted queued, with no fan-out duration: the publisher only sent a message.
    expect(world.metrics.totals).toMatchObject({ QueuedRecipients: 4 });
    expect(world.metrics.totals.Deliveries).toBeUndefined();
    expect(world.metrics.samples.FanOutDuration).toBeUndefined();
    expect(pushAnswer(publication)).toEqual({ id: publication.id, recipients: 4, seq: 1, status: 'queued' });
    expect(ackFrame(publication, world.channels.parse(ROOM), 'r1')).toEqual({
      type: 'ack',
      id: publication.id,
      ref: 'r1',
      channel: ROOM,
      seq: 1,
      status: 'queued',
    });
  });

  it('sends one message per shard of the channel; a worker reads one page of it and passes the rest on', async () => {
    const world = fakeWorld({ FANOUT_QUEUE_THRESHOLD: '3', FANOUT_PAGE_SIZE: '4' });
    const ids = subscribe(world, ROOM, 40);
    await publishTo(world);
    const jobs = world.fanOutQueue.sent.map((m) => decodeFanOutMessage(m.body).job);
    expect(jobs.map((j) => (j.kind === 'channel' ? j.shard : -1))).toEqual(
      Array.from({ length: shardsOfRoom(world) }, (_, shard) => shard),
    );
    const pages: { shard: number; after: string | undefined; ids: string[] }[] = [];
    const readPage = world.connections.subscriberPage.bind(world.connections);
    world.connections.subscriberPage = async (channel, shard, options) => {
      const page = await readPage(channel, shard, options);
      pages.push({ shard, after: options.after, ids: page.subscribers.map((s) => s.connectionId) });
      return page;
    };
    // Each message its own invocation: a channel message reads one page and queues the rest behind it.
    await drain(world, { batchSize: 1 });
    for (const [shard, inShard] of byShard(world, ids).entries()) {
      const ofShard = pages.filter((p) => p.shard === shard);
      expect(ofShard.length).toBe(Math.ceil(inShard.length / 4));
      for (const [i, page] of ofShard.entries()) {
        expect(page.ids.length).toBeLessThanOrEqual(4);
        expect(page.after).toBe(i === 0 ? undefined : ofShard[i - 1]!.ids.at(-1));
      }
      expect(ofShard.flatMap((p) => p.ids)).toEqual([...inShard].sort());
    }
    expect(world.log.lines.filter((l) => l.message === 'fan-out shard read')).toHaveLength(
      shardsOfRoom(world),
    );
    expect([...postsPerConnection(world).entries()].sort()).toEqual(ids.map((id) => [id, 1]).sort());
  });

  it('goes on reading after a connection that left between two pages', async () => {
    const world = fakeWorld({ FANOUT_QUEUE_THRESHOLD: '3', FANOUT_PAGE_SIZE: '2' });
    const ids = subscribe(world, ROOM, 40);
    await publishTo(world);
    const readPage = world.connections.subscriberPage.bind(world.connections);
    const left: string[] = [];
    world.connections.subscriberPage = async (channel, shard, options) => {
      const page = await readPage(channel, shard, options);
      const last = page.subscribers.at(-1)?.connectionId;
      if (page.next !== undefined && last) {
        world.connections.subs.get(ROOM)!.delete(last); // it leaves before the next page is read
        left.push(last);
      }
      return page;
    };
    await drain(world, { batchSize: 1 });
    expect(left.length).toBeGreaterThan(0);
    expect([...postsPerConnection(world).keys()].sort()).toEqual([...ids].sort());
  });

  it('posts to every audience itself where there is no queue (a server library given none)', async () => {
    const world = fakeWorld({ FANOUT_QUEUE_THRESHOLD: '3' });
    subscribe(world, ROOM, 4);
    await publish({ ...world, fanOutQueue: undefined }, { channels: [world.channels.parse(ROOM)], event });
    expect(world.gateway.posts).toHaveLength(4);
    expect(world.fanOutQueue.sent).toEqual([]);
  });

  it('fails the publish when the queue refuses the message (the caller retries with its key)', async () => {
    const world = fakeWorld({ FANOUT_QUEUE_THRESHOLD: '3' });
    subscribe(world, ROOM, 4);
    world.fanOutQueue.failures = 1;
    await expect(publishTo(world)).rejects.toThrow(/SQS is unavailable/);
  });
});

describe('The fan-out workers', () => {
  it('deliver to every subscriber once: not the publisher, not one whose replay covers it, a pending one after its mark', async () => {
    const world = fakeWorld({ FANOUT_QUEUE_THRESHOLD: '10' });
    const ids = subscribe(world, ROOM, 1000);
    const subs = world.connections.subs.get(ROOM)!;
    subs.set('c1', { connectionId: 'c1', userId: null, replayedTo: 1 }); // its recovery replays seq 1
    subs.set('c2', { connectionId: 'c2', userId: null, replayPending: true }); // its recovery is under way
    await publishTo(world, { exclude: new Set(['c3']) });

    const { failed, invocations } = await drain(world);

    expect(failed).toEqual([]);
    const counts = postsPerConnection(world);
    expect([...counts.keys()].sort()).toEqual(ids.filter((id) => id !== 'c1' && id !== 'c3').sort());
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    // A channel message per shard, then each shard's connections (998 in all) in messages of at most
    // CONNECTIONS_PER_MESSAGE.
    const connectionsMessagesOf = byShard(
      world,
      ids.filter((id) => id !== 'c1' && id !== 'c3'),
    ).reduce((n, inShard) => n + Math.ceil(inShard.length / CONNECTIONS_PER_MESSAGE), 0);
    expect(invocations).toBe(Math.ceil((shardsOfRoom(world) + connectionsMessagesOf) / 4));
    const [stored] = world.messages.histories.get(ROOM)!;
    const payloads = new Set(world.gateway.posts.map((p) => new TextDecoder().decode(p.data)));
    expect([...payloads]).toEqual([stored!.frame]);
    // The workers count what they posted as the in-process tier does; a duration per `connections` message.
    expect(world.metrics.totals).toMatchObject({ QueuedRecipients: 1000, Deliveries: 998 });
    expect(world.metrics.samples.FanOutDuration).toHaveLength(connectionsMessagesOf);
  });

  it('lose no delivery when half of a batch fails: that half continues in a new message, a round later, and nobody gets it twice', async () => {
    const world = fakeWorld({ FANOUT_QUEUE_THRESHOLD: '10' });
    const ids = subscribe(world, ROOM, 1000);
    const attempts = new Map<string, number>();
    // Every other connection: the Management API fails its first three posts (500), more than a worker retries.
    world.gateway.failWith = (id) => {
      const n = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, n);
      return Number(id.slice(1)) % 2 === 0 && n <= 3 ? 500 : undefined;
    };
    await publishTo(world);

    const { failed, delays } = await drain(world);

    expect(failed).toEqual([]); // every message counted done: the failed half went on in continuations
    expect(world.gateway.refused).toBe(500 * 3);
    const counts = postsPerConnection(world);
    expect([...counts.keys()].sort()).toEqual([...ids].sort());
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    // One continuation per `connections` message (a shard's, at most 250; round 1, after 2 s): each with
    // those of its connections that had failed.
    const messages = byShard(world, ids).reduce(
      (n, inShard) => n + Math.ceil(inShard.length / CONNECTIONS_PER_MESSAGE),
      0,
    );
    expect(delays.filter((d) => d > 0)).toEqual(Array(messages).fill(2));
  });

  it('render the frame in each subscriber’s seed dialect, also in a continuation', async () => {
    const world = fakeWorld({ FANOUT_QUEUE_THRESHOLD: '10' });
    const ids = subscribe(world, ROOM, 40);
    // Every fourth connection was opened through seed 001's chat path.
    const seed = new Set(ids.filter((_, i) => i % 4 === 0));
    const subs = world.connections.subs.get(ROOM)!;
    for (const id of seed) subs.set(id, { connectionId: id, userId: null, dialect: 'seed001.chat' });
    // Every other connection's first post fails (500, three times: more than a worker retries), so half
    // of them, seed ones among them, are reached by a continuation.
    const attempts = new Map<string, number>();
    world.gateway.failWith = (id) => {
      const n = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, n);
      return Number(id.slice(1)) % 2 === 0 && n <= 3 ? 500 : undefined;
    };
    await publish(world, {
      channels: [world.channels.parse(ROOM)],
      event: { type: 'chat_message', message: 'hi', username: 'ann' },
    });

    const { failed, delays } = await drain(world);

    expect(failed).toEqual([]);
    expect(delays.some((d) => d > 0)).toBe(true); // there were continuations
    const decoder = new TextDecoder();
    const frames = new Map(
      world.gateway.posts.map((p) => [
        p.connectionId,
        JSON.parse(decoder.decode(p.data)) as Record<string, unknown>,
      ]),
    );
    expect(frames.size).toBe(ids.length);
    for (const [id, frame] of frames) {
      if (seed.has(id)) {
        expect(Object.keys(frame).sort()).toEqual(['message', 'timestamp', 'type', 'username']);
        expect(frame).toMatchObject({ type: 'chat_message', message: 'hi', username: 'ann' });
      } else {
        expect(frame).toMatchObject({ type: 'chat_message', channel: ROOM, message: 'hi', seq: 1 });
      }
    }
  });

  it('pass on what they could not post before their time ran out, and it is delivered by the next', async () => {
    // 400 a second for 10 workers: 40 each, so a shard's ~31 connections take ~0.8 s; the worker has 0.5 s.
    const world = fakeWorld({ FANOUT_QUEUE_THRESHOLD: '10', MANAGEMENT_API_QUOTA: '400' });
    const ids = subscribe(world, ROOM, 250);
    await publishTo(world);
    const { failed, delays } = await drain(world, { batchSize: 1, remainingMs: 10_500 });
    expect(failed).toEqual([]);
    expect(delays.filter((d) => d > 0).length).toBeGreaterThan(0);
    const counts = postsPerConnection(world);
    expect([...counts.keys()].sort()).toEqual([...ids].sort());
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });

  it('give up after MAX_ROUNDS continuations, counting and logging the connections that never got it', async () => {
    const world = fakeWorld({ FANOUT_QUEUE_THRESHOLD: '3' });
    subscribe(world, ROOM, 5);
    world.gateway.failWith = (id) => (id === 'c4' ? 503 : undefined);
    await publishTo(world);

    const { failed, delays } = await drain(world);

    expect(failed).toEqual([]);
    expect([...postsPerConnection(world).keys()].sort()).toEqual(['c0', 'c1', 'c2', 'c3']);
    expect(delays.filter((d) => d > 0)).toEqual([2, 4, 8, 16, 30].slice(0, MAX_ROUNDS));
    const gaveUp = world.log.lines.filter((l) => l.message === 'fan-out gave up on connections');
    expect(gaveUp).toEqual([
      expect.objectContaining({
        level: 'error',
        extra: expect.objectContaining({
          channel: ROOM,
          failed: 1,
          connectionIds: ['c4'],
          round: MAX_ROUNDS,
        }),
      }),
    ]);
    // c4 is queued by the publish and passed on in each of the MAX_ROUNDS continuations, then failed once.
    expect(world.metrics.totals).toMatchObject({
      Deliveries: 4,
      QueuedRecipients: 5 + MAX_ROUNDS,
      FailedPosts: 1,
    });
  });

  it('slow down in a 429 storm and still deliver everything, once', async () => {
    const world = fakeWorld({ FANOUT_QUEUE_THRESHOLD: '10', MANAGEMENT_API_QUOTA: '2000' });
    const ids = subscribe(world, ROOM, 600);
    let posts = 0;
    // The account's quota is taken by someone else: the first 400 posts are refused 429.
    world.gateway.failWith = () => (++posts <= 400 ? 429 : undefined);
    await publishTo(world);

    const { failed } = await drain(world);

    expect(failed).toEqual([]);
    expect(world.gateway.refused).toBe(400);
    const counts = postsPerConnection(world);
    expect([...counts.keys()].sort()).toEqual([...ids].sort());
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    const batches = world.log.lines.filter((l) => l.message === 'fan-out batch done');
    const throttled = batches.reduce((sum, l) => sum + Number(l.extra?.throttled), 0);
    expect(throttled).toBe(400);
    // The pacer slowed below its share (2000 ÷ 10 workers) during the storm, and was back to it by the end.
    expect(Math.min(...batches.map((l) => Number(l.extra?.slowest)))).toBeLessThan(200 * 0.5);
    expect(batches.at(-1)?.extra?.rate).toBe(200);
  });

  it('report a message they cannot read as failed, alone: SQS gives it again, then to the dead-letter queue', async () => {
    const world = fakeWorld();
    subscribe(world, ROOM, 2);
    const good = connectionsMessages({ channel: ROOM, round: 0 }, '{"type":"x"}', [{ connectionId: 'c0' }]);
    const answer = await fanOutWorkerHandler(world)(
      { Records: [sqsRecord('not a fan-out message', 'bad'), sqsRecord(good[0]!, 'good')] },
      { getRemainingTimeInMillis: () => 60_000 },
    );
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
    expect(world.gateway.posts.map((p) => p.connectionId)).toEqual(['c0']);
  });

  it('report a shard they could not read as failed, to be received again; the other shards are delivered', async () => {
    const world = fakeWorld({ FANOUT_QUEUE_THRESHOLD: '1' });
    const ids = subscribe(world, ROOM, 40);
    await publishTo(world);
    const readPage = world.connections.subscriberPage.bind(world.connections);
    world.connections.subscriberPage = async (channel, shard, options) => {
      if (shard === 0) throw new Error('ProvisionedThroughputExceededException');
      return readPage(channel, shard, options);
    };
    const { failed } = await drain(world);
    expect(failed).toEqual(['m0-0']); // the first message: shard 0's
    const [inShard0] = byShard(world, ids);
    expect(inShard0!.length).toBeGreaterThan(0);
    expect([...postsPerConnection(world).keys()].sort()).toEqual(
      ids.filter((id) => !inShard0!.includes(id)).sort(),
    );
  });
});

describe('Fan-out messages', () => {
  it('carry the frame verbatim after a header line, and refuse another version', () => {
    const frame = JSON.stringify({ type: 'x', text: 'a "quoted"\nline' });
    const body = encodeFanOutMessage(
      { kind: 'connections', channel: ROOM, ids: ['a', 'b'], round: 2 },
      frame,
    );
    expect(body.endsWith(`\n${frame}`)).toBe(true);
    expect(decodeFanOutMessage(body)).toEqual({
      job: { kind: 'connections', channel: ROOM, ids: ['a', 'b'], round: 2 },
      frame,
    });
    expect(() => decodeFanOutMessage(body.replace('"v":1', '"v":2'))).toThrow(FanOutMessageError);
    expect(() => decodeFanOutMessage('{"v":1,"kind":"connections"}\n{}')).toThrow(FanOutMessageError);
  });

  it('split connections so that each message, with a 120 KB frame, stays within SQS’s 256 KiB', () => {
    const frame = JSON.stringify({ type: 'x', data: 'y'.repeat(120 * 1024) });
    const subscribers = Array.from({ length: 12_000 }, (_, i) => ({
      connectionId: `${'L0SM9cOFvHcCIhw'.slice(0, 12)}${String(i).padStart(4, '0')}=`,
      ...(i % 100 === 0 ? { replayPending: true } : {}),
    }));
    const messages = connectionsMessages({ channel: ROOM, round: 0 }, frame, subscribers);
    const decoded = messages.map(decodeFanOutMessage);
    expect(decoded.flatMap((m) => (m.job.kind === 'connections' ? m.job.ids : []))).toEqual(
      subscribers.map((s) => s.connectionId),
    );
    expect(decoded.flatMap((m) => (m.job.kind === 'connections' ? (m.job.pending ?? []) : []))).toHaveLength(
      120,
    );
    for (const body of messages)
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(FAN_OUT_MESSAGE_MAX_BYTES);
    expect(messages).toHaveLength(12_000 / CONNECTIONS_PER_MESSAGE);

    // A frame that leaves room for fewer ids than CONNECTIONS_PER_MESSAGE: the bytes decide.
    const huge = JSON.stringify({ type: 'x', data: 'y'.repeat(FAN_OUT_MESSAGE_MAX_BYTES - 4096) });
    const squeezed = connectionsMessages({ channel: ROOM, round: 0 }, huge, subscribers.slice(0, 1000));
    expect(squeezed.length).toBeGreaterThan(1000 / CONNECTIONS_PER_MESSAGE);
    for (const body of squeezed)
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(FAN_OUT_MESSAGE_MAX_BYTES);
  });
});
