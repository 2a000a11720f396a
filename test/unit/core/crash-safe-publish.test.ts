import { beforeAll, describe, expect, it } from 'vitest';
import * as httpPublish from '../../../lambdas/http-publish';
import { publish } from '../../../shared/core/publish';
import { voidSeq } from '../../../shared/core/recovery';
import { historyOperation } from '../../../shared/features/channels/history';
import { httpEvent } from '../../support/events';
import { type FakeWorld, fakeWorld } from '../../support/fakes';
import { unitToken } from '../../support/tokens';
import { TestClient, user } from '../../support/world';

/**
 * Crash-safe publishing (issue 14), at every point a publish with an id can die: the first attempt is
 * stopped there for good (its promise never settles, as a killed process's work never resumes), then the
 * same id is retried at once and once the attempt is taken for dead (IDEMPOTENCY_STALE_SECONDS, 60 s). The
 * retry at once is told the first is in progress, never `duplicate`; the later one stores the message once
 * (where the first attempt had stored it, it stays) and delivers it; any seq left without a message is
 * voided, so recovery over the range ends.
 */
const STALE_MS = 60_000;
const ROOM = 'room:a';

type Crash =
  | 'after the claim'
  | 'after the seq was taken'
  | 'after the seq was reserved'
  | 'after the message was stored'
  | 'during delivery'
  | 'before the answer was kept';

/** Makes `method` of `target` stop for good on its next call, after doing its work or before. */
function stopAt<T extends object>(target: T, method: keyof T & string, doItFirst: boolean): () => void {
  const original = target[method] as unknown as (...args: unknown[]) => Promise<unknown>;
  const stopped = async (...args: unknown[]) => {
    if (doItFirst) await original.apply(target, args);
    return new Promise(() => {});
  };
  Object.assign(target, { [method]: stopped });
  // The restarted process: the method works again.
  return () => Object.assign(target, { [method]: original });
}

function crash(world: FakeWorld, at: Crash): () => void {
  switch (at) {
    case 'after the claim':
      return stopAt(world.messages, 'nextSeq', false);
    case 'after the seq was taken':
      return stopAt(world.messages, 'nextSeq', true);
    case 'after the seq was reserved':
      return stopAt(world.idempotency, 'reserve', true);
    case 'after the message was stored':
      return stopAt(world.messages, 'appendHistory', true);
    case 'during delivery': {
      // The first subscriber gets the message, the post to the second never returns.
      const gateway = world.gateway;
      const original = gateway.post.bind(gateway);
      let posts = 0;
      gateway.post = (id, data) => (posts++ === 0 ? original(id, data) : new Promise(() => {}));
      return () => {
        gateway.post = original;
      };
    }
    case 'before the answer was kept':
      return stopAt(world.idempotency, 'complete', false);
  }
}

const tick = () => new Promise((r) => setTimeout(r, 5));
/** Waits (in real time, bounded) until the stopped attempt got as far as it will. */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await tick();
  if (!check()) throw new Error('the first attempt never got there');
}
const publication = (data: Record<string, unknown>, id: string) => ({
  type: 'publish',
  channel: ROOM,
  data,
  id,
});

/**
 * Alice and Bob in the room, which has one message already (seq 1, before the test's own): a seq missing
 * after it can be told from one that expired (core/recovery.ts).
 */
async function setUp() {
  const world = fakeWorld({ PRESENCE_ANNOUNCE_MAX: '0' });
  await publish(world, { channels: [world.channels.parse(ROOM)], event: { type: 'warm-up' } });
  const alice = await TestClient.connect(world, 'c-alice', user('alice'), ROOM);
  const bob = await TestClient.connect(world, 'c-bob', user('bob'), ROOM);
  return { world, alice, bob };
}
/** The id of the first message a test publishes (the warm-up took the first). */
const FIRST = 'msg-000002';

/** The non-void entries of the room's history that carry `id`. */
const storedWith = (world: FakeWorld, id: string) =>
  (world.messages.histories.get(ROOM) ?? []).filter((e) => JSON.parse(e.frame).id === id);

describe('a publish with an id, its attempt stopped for good', () => {
  it.each<[Crash, boolean]>([
    ['after the claim', false],
    ['after the seq was taken', false],
    ['after the seq was reserved', false],
    ['after the message was stored', true],
    ['during delivery', true],
    ['before the answer was kept', true],
  ])(
    '%s: a retry at once is IN_USE, one after the stale time stores and delivers it once',
    async (at, storedByFirst) => {
      const { world, alice, bob } = await setUp();
      const restart = crash(world, at);
      void alice.send(publication({ n: 1 }, 'p-1'));
      await until(() => world.idempotency.records.size > 0);
      await tick();

      // At once (the restarted stack, the first attempt's claim still fresh): in progress, nothing stored twice.
      restart();
      const atOnce = await alice.request(publication({ n: 1 }, 'p-1'));
      expect(atOnce).toMatchObject({ type: 'error', code: 'IDEMPOTENCY_KEY_IN_USE', ref: 'p-1' });
      expect(atOnce.retry_after_ms).toEqual(expect.any(Number));
      expect(atOnce).not.toHaveProperty('duplicate');
      expect(storedWith(world, FIRST)).toHaveLength(storedByFirst ? 1 : 0);

      world.clock.advance(STALE_MS + 1);
      const later = await alice.request(publication({ n: 1 }, 'p-1'));
      expect(later).toMatchObject({ type: 'ack', ref: 'p-1', id: FIRST, channel: ROOM });
      expect(later).not.toHaveProperty('duplicate');
      const stored = storedWith(world, FIRST);
      expect(stored).toHaveLength(1);
      expect(later.seq).toBe(stored[0]?.seq);
      // Stored by the first attempt: there it stays. A seq it took without storing it is voided (at once
      // where it was reserved, by a reader where not) and the message takes a new one.
      const tookASeq = at === 'after the seq was taken' || at === 'after the seq was reserved';
      expect(later.seq).toBe(tookASeq ? 3 : 2);
      for (const client of [alice, bob]) {
        const got = client.received().filter((f) => f.id === FIRST);
        expect(got.length).toBeGreaterThanOrEqual(1);
        // Delivered again by the retry at most, and then as the same message: same id, same seq.
        expect(new Set(got.map((f) => `${f.seq} ${JSON.stringify(f.data)}`))).toEqual(
          new Set([`${later.seq} {"n":1}`]),
        );
      }

      // And from now on it is a duplicate, of a stored message, with its seq.
      const again = await alice.request(publication({ n: 1 }, 'p-1'));
      expect(again).toEqual({ ...later, duplicate: true });

      // Recovery over the range ends: every seq holds the message or a void marker, once the gap is old enough.
      world.clock.advance(STALE_MS + 1);
      const carol = await TestClient.connect(world, 'c-carol', user('carol'));
      const replies = await carol.send({ type: 'subscribe', channel: ROOM, since: 1 });
      expect(replies[0]).toMatchObject({ type: 'subscribed', seq: later.seq, recovered: true });
      expect(replies.slice(1).map((f) => [f.seq, f.type])).toEqual(
        later.seq === 3
          ? [
              [2, 'void'],
              [3, 'publication'],
            ]
          : [[2, 'publication']],
      );
    },
  );

  it('a seq reserved by a dead attempt but voided by a reader first: the retry stores it at a new seq', async () => {
    const { world, alice } = await setUp();
    const restart = crash(world, 'after the seq was reserved');
    void alice.send(publication({ n: 1 }, 'p-1'));
    await until(() => Object.keys(world.idempotency.records.get(`ws#${ROOM}#p-1`)?.seqs ?? {}).length > 0);
    restart();
    await alice.request(publication({ n: 2 }, 'p-2')); // seq 3
    world.clock.advance(STALE_MS + 1);
    const reader = await TestClient.connect(world, 'c-reader', user('reader'));
    const replay = await reader.send({ type: 'subscribe', channel: ROOM, since: 1 });
    expect(replay.slice(1).map((f) => [f.seq, f.type])).toEqual([
      [2, 'void'],
      [3, 'publication'],
    ]);
    const later = await alice.request(publication({ n: 1 }, 'p-1'));
    expect(later).toMatchObject({ type: 'ack', seq: 4 });
    expect(storedWith(world, FIRST)).toHaveLength(1);
    expect(
      reader
        .received()
        .filter((f) => f.id === FIRST)
        .map((f) => f.seq),
    ).toEqual([4]);
  });

  it("a subscriber that recovered past the dead attempt's seq before the retry still gets the message, live", async () => {
    const { world, alice } = await setUp();
    const restart = crash(world, 'after the seq was reserved');
    void alice.send(publication({ n: 1 }, 'p-1'));
    await until(() => Object.keys(world.idempotency.records.get(`ws#${ROOM}#p-1`)?.seqs ?? {}).length > 0);
    restart();
    const carol = await TestClient.connect(world, 'c-carol', user('carol'));
    const replay = await carol.send({ type: 'subscribe', channel: ROOM, since: 1 });
    expect(replay).toEqual([{ type: 'subscribed', channel: ROOM, seq: 2, recovered: false }]);
    world.clock.advance(STALE_MS + 1);
    expect(await alice.request(publication({ n: 1 }, 'p-1'))).toMatchObject({ type: 'ack', seq: 3 });
    expect(carol.received().map((f) => [f.seq, f.id])).toEqual([[3, FIRST]]);
    const again = await carol.send({ type: 'subscribe', channel: ROOM, since: 1 });
    expect(again.slice(1).map((f) => [f.seq, f.type])).toEqual([
      [2, 'void'],
      [3, 'publication'],
    ]);
  });

  it('an attempt that lost its claim while it was stalled voids the seq it took and stores nothing', async () => {
    const { world, alice } = await setUp();
    // Stalled before its seq: the retry takes the claim over meanwhile and publishes the message.
    let resume!: () => void;
    const nextSeq = world.messages.nextSeq.bind(world.messages);
    world.messages.nextSeq = async (channel) => {
      world.messages.nextSeq = nextSeq;
      await new Promise<void>((r) => {
        resume = r;
      });
      return nextSeq(channel);
    };
    const first = alice.send(publication({ n: 1 }, 'p-1'));
    await until(() => resume !== undefined);
    world.clock.advance(STALE_MS + 1);
    expect(await alice.request(publication({ n: 1 }, 'p-1'))).toMatchObject({ type: 'ack', seq: 2 });
    resume();
    expect(await first).toEqual([expect.objectContaining({ type: 'error', code: 'IDEMPOTENCY_KEY_IN_USE' })]);
    const entries = world.messages.histories.get(ROOM) ?? [];
    expect(entries.map((e) => [e.seq, JSON.parse(e.frame).type])).toEqual([
      [1, 'warm-up'],
      [2, 'publication'],
      [3, 'void'],
    ]);
  });

  it('two retries at once while the first runs: both are told it is in progress, the first stores it once', async () => {
    const { world, alice } = await setUp();
    let resume!: () => void;
    const append = world.messages.appendHistory.bind(world.messages);
    world.messages.appendHistory = async (channel, entry) => {
      await new Promise<void>((r) => {
        resume = r;
      });
      return append(channel, entry);
    };
    const first = alice.request(publication({ n: 1 }, 'p-1'));
    await until(() => resume !== undefined);
    const retries = await Promise.all([1, 2].map(() => alice.request(publication({ n: 1 }, 'p-1'))));
    for (const r of retries)
      expect(r).toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_USE', retry_after_ms: 1000 });
    resume();
    expect(await first).toMatchObject({ type: 'ack', seq: 2 });
    expect(storedWith(world, FIRST)).toHaveLength(1);
  });
});

describe('a seq whose publish died (no id): voided once it is old, and only then', () => {
  it('leaves a fresh gap alone, voids it after the stale time, and a late message takes a new seq', async () => {
    const { world, alice } = await setUp();
    await world.messages.nextSeq(ROOM); // seq 2: taken by a publish that died before storing it
    await publish(world, { channels: [world.channels.parse(ROOM)], event: { type: 'x' } }); // seq 3
    const reader = await TestClient.connect(world, 'c-reader', user('reader'));
    const early = await reader.send({ type: 'subscribe', channel: ROOM, since: 1 });
    expect(early[0]).toMatchObject({ recovered: false });
    expect(early.slice(1).map((f) => f.seq)).toEqual([3]);

    world.clock.advance(STALE_MS + 1);
    const later = await alice.send({ type: 'subscribe', channel: ROOM, since: 0 });
    expect(later[0]).toMatchObject({ recovered: true });
    expect(later.slice(1).map((f) => [f.seq, f.type])).toEqual([
      [1, 'warm-up'],
      [2, 'void'],
      [3, 'x'],
    ]);
    const marker = later[2];
    expect(marker).toEqual({
      type: 'void',
      channel: ROOM,
      id: expect.any(String),
      timestamp: expect.any(String),
      seq: 2,
    });
    // Written once: the next reader gets the same marker.
    const again = await reader.send({ type: 'subscribe', channel: ROOM, since: 1 });
    expect(again[1]).toEqual(marker);
  });

  it('voids a gap at the newest end too, from when the last seq was taken', async () => {
    const { world, alice } = await setUp();
    await world.messages.nextSeq(ROOM); // seq 2: its publish died
    world.clock.advance(STALE_MS + 1);
    const replies = await alice.send({ type: 'subscribe', channel: ROOM, since: 1 });
    expect(replies.map((f) => [f.type, f.seq])).toEqual([
      ['subscribed', 2],
      ['void', 2],
    ]);
  });

  it('voids a gap below a void marker, from when the marker was written (a marker keeps no time of its seq)', async () => {
    const { world, alice } = await setUp();
    await world.messages.nextSeq(ROOM); // seq 2: its publish died before it reserved the seq
    const three = await world.messages.nextSeq(ROOM); // seq 3: reserved by a publish that died; its retry
    world.clock.advance(STALE_MS + 1);
    await voidSeq(world, world.channels.parse(ROOM), three); // voided it and stored the message at seq 4
    await publish(world, { channels: [world.channels.parse(ROOM)], event: { type: 'retried' } });
    const early = await alice.send({ type: 'subscribe', channel: ROOM, since: 1 });
    expect(early[0]).toMatchObject({ recovered: false });

    world.clock.advance(STALE_MS + 1);
    const later = await alice.send({ type: 'subscribe', channel: ROOM, since: 1 });
    expect(later[0]).toMatchObject({ recovered: true, seq: 4 });
    expect(later.slice(1).map((f) => [f.seq, f.type])).toEqual([
      [2, 'void'],
      [3, 'void'],
      [4, 'retried'],
    ]);
  });

  it('does not void a seq that may have expired (the message before it is older than the history keeps)', async () => {
    const { world, alice } = await setUp(); // seq 1
    await publish(world, { channels: [world.channels.parse(ROOM)], event: { type: 'expired' } }); // seq 2
    world.clock.advance(25 * 60 * 60 * 1000); // past the room's 24 h
    world.messages.histories.set(
      ROOM,
      (world.messages.histories.get(ROOM) ?? []).filter((e) => e.seq !== 2),
    );
    await publish(world, { channels: [world.channels.parse(ROOM)], event: { type: 'new' } }); // seq 3
    world.clock.advance(STALE_MS + 1);
    const replies = await alice.send({ type: 'subscribe', channel: ROOM, since: 0 });
    expect(replies[0]).toMatchObject({ recovered: false });
    expect(replies.slice(1).map((f) => f.type)).toEqual(['warm-up', 'new']);
    expect(world.messages.histories.get(ROOM)?.map((e) => e.seq)).toEqual([1, 3]);
  });

  it('serves void markers in GET history too, so a client filling a gap there finds it', async () => {
    const { world } = await setUp();
    await world.messages.nextSeq(ROOM);
    await publish(world, { channels: [world.channels.parse(ROOM)], event: { type: 'x' } });
    world.clock.advance(STALE_MS + 1);
    const page = await historyOperation(world)({
      principal: user('reader'),
      params: { channel: ROOM },
      query: { since: '1', limit: '1' },
      body: undefined,
      path: '/',
    });
    expect(page.body).toEqual({
      channel: ROOM,
      messages: [expect.objectContaining({ type: 'void', seq: 2 })],
      next: 2,
    });
  });
});

describe('over HTTP: POST /v1/publish with an id', () => {
  let bearer: string;
  beforeAll(async () => {
    bearer = await unitToken({ sub: 'svc', scope: 'realtime:publish' });
  });

  it('after a crash once the message was stored: 409 with Retry-After at once, then 202 at the same seq, stored once', async () => {
    const world = fakeWorld();
    const handler = httpPublish.makeHandler(world);
    const request = () =>
      handler(
        httpEvent(
          'POST /v1/publish',
          { body: JSON.stringify({ channel: ROOM, type: 'order', id: 'o-1' }) },
          bearer,
        ),
      );
    const restart = crash(world, 'after the message was stored');
    void request();
    await until(() => (world.messages.histories.get(ROOM) ?? []).length > 0);
    restart();
    const atOnce = await request();
    expect(atOnce.statusCode).toBe(409);
    expect(atOnce.headers?.['retry-after']).toBe('1');
    expect(JSON.parse(atOnce.body ?? '')).toMatchObject({
      code: 'IDEMPOTENCY_KEY_IN_USE',
      retry_after_ms: 1000,
    });
    world.clock.advance(STALE_MS + 1);
    const later = await request();
    expect(later.statusCode).toBe(202);
    expect(JSON.parse(later.body ?? '')).toMatchObject({ id: 'msg-000001', seq: 1 });
    expect(world.messages.histories.get(ROOM)).toHaveLength(1);
    const replay = await request();
    expect(replay.headers?.['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe(later.body);
  });
});
