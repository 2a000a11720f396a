import { describe, expect, it } from 'vitest';
import { publish } from '../../../shared/core/publish';
import { fakeWorld } from '../../support/fakes';
import { anonymous, TestClient, user } from '../../support/world';

describe('core frames', () => {
  it('answers hello with connection.established naming the connection, user and channels', async () => {
    const world = fakeWorld();
    const alice = await TestClient.connect(world, 'c-alice', user('alice'), 'room:lobby');
    const reply = await alice.request({ type: 'hello' });
    expect(reply).toEqual({
      type: 'connection.established',
      connection_id: 'c-alice',
      user_id: 'alice',
      channels: ['room:lobby', 'user:alice'],
      timestamp: '2026-11-23T12:00:00.000Z',
    });
  });

  it('answers hello of an anonymous connection with user_id null', async () => {
    const client = await TestClient.connect(fakeWorld(), 'c1');
    expect(await client.request({ type: 'hello' })).toMatchObject({ user_id: null, channels: [] });
  });

  it.each([
    [{ type: 'ping', timestamp: 'client-ts-1' }, 'client-ts-1'],
    [{ type: 'ping', timestamp: 1234 }, 1234],
    [{ type: 'ping' }, '2026-11-23T12:00:00.000Z'],
  ])('answers %j with pong echoing the timestamp or giving the server time', async (frame, timestamp) => {
    const client = await TestClient.connect(fakeWorld(), 'c1');
    expect(await client.request(frame)).toEqual({ type: 'pong', timestamp });
  });

  it('subscribes and unsubscribes, answering with the channel and its current seq', async () => {
    const world = fakeWorld();
    const client = await TestClient.connect(world, 'c1');
    expect(await client.request({ type: 'subscribe', channel: 'room:a' })).toEqual({
      type: 'subscribed',
      channel: 'room:a',
      seq: 0,
    });
    expect(world.connections.channelsOf('c1')).toEqual(['room:a']);
    expect(await client.request({ type: 'unsubscribe', channel: 'room:a' })).toEqual({
      type: 'unsubscribed',
      channel: 'room:a',
    });
    expect(world.connections.channelsOf('c1')).toEqual([]);
  });

  it('answers subscribe to a channel without history without a seq', async () => {
    const client = await TestClient.connect(fakeWorld(), 'c1');
    expect(await client.request({ type: 'subscribe', channel: 'sensors' })).toEqual({
      type: 'subscribed',
      channel: 'sensors',
    });
  });

  it('publishes to every subscriber, the publisher included, and acks with id, ref and seq', async () => {
    const world = fakeWorld({ PRESENCE_ANNOUNCE_MAX: '0' }); // no join notices: only the publication arrives
    const alice = await TestClient.connect(world, 'c-alice', user('alice', { username: 'Alice' }), 'room:a');
    const bob = await TestClient.connect(world, 'c-bob', anonymous, 'room:a');
    const ack = await alice.request({
      type: 'publish',
      channel: 'room:a',
      data: { text: 'hi' },
      id: 'cid-1',
    });
    expect(ack).toEqual({
      type: 'ack',
      id: 'msg-000001',
      ref: 'cid-1',
      channel: 'room:a',
      seq: 1,
      status: 'delivered',
    });
    const expected = {
      type: 'publication',
      channel: 'room:a',
      id: 'msg-000001',
      timestamp: '2026-11-23T12:00:00.000Z',
      seq: 1,
      sender: { id: 'alice', username: 'Alice' },
      data: { text: 'hi' },
    };
    expect(bob.received()).toEqual([expected]);
    expect(alice.received()).toEqual([expected]);
  });

  it('gives anonymous publishers a null sender, never one taken from the frame', async () => {
    const world = fakeWorld();
    const anon = await TestClient.connect(world, 'c1', anonymous, 'room:a');
    await anon.request({ type: 'publish', channel: 'room:a', data: { text: 'x' }, sender: { id: 'admin' } });
    expect(anon.received()[0]).toMatchObject({ sender: null, data: { text: 'x' } });
  });

  it('delivers and stores a publish repeated with the same id once, answering the repeat as a duplicate', async () => {
    const world = fakeWorld();
    const alice = await TestClient.connect(world, 'c1', user('alice'), 'room:a');
    const first = await alice.request({ type: 'publish', channel: 'room:a', data: { n: 1 }, id: 'same' });
    const again = await alice.request({ type: 'publish', channel: 'room:a', data: { n: 1 }, id: 'same' });
    expect(again).toEqual({ ...first, duplicate: true });
    expect(alice.received()).toHaveLength(1);
    expect(world.messages.histories.get('room:a')).toHaveLength(1);
    expect(await world.messages.currentSeq('room:a')).toBe(1);
  });

  it('refuses the same id with another request: IDEMPOTENCY_KEY_REUSED naming it, nothing stored or sent', async () => {
    const world = fakeWorld();
    const alice = await TestClient.connect(world, 'c1', user('alice'), 'room:a');
    await alice.request({ type: 'publish', channel: 'room:a', data: { n: 1 }, id: 'same' });
    const reused = await alice.request({ type: 'publish', channel: 'room:a', data: { n: 2 }, id: 'same' });
    expect(reused).toEqual({
      type: 'error',
      code: 'IDEMPOTENCY_KEY_REUSED',
      message: 'this idempotency key was used for another request within the last 24 hours',
      ref: 'same',
    });
    expect(alice.received()).toHaveLength(1);
    expect(world.messages.histories.get('room:a')).toHaveLength(1);
    // The first request is still the one its key stands for.
    const again = await alice.request({ type: 'publish', channel: 'room:a', data: { n: 1 }, id: 'same' });
    expect(again).toMatchObject({ type: 'ack', duplicate: true, seq: 1 });
  });

  it('refuses an id reused by another kind of frame on the same channel (one id, one message)', async () => {
    const world = fakeWorld();
    const alice = await TestClient.connect(world, 'c1', user('alice'), 'room:a');
    await alice.request({ type: 'chat_message', channel: 'room:a', message: 'hi', id: 'm1' });
    const reused = await alice.request({
      type: 'publish',
      channel: 'room:a',
      data: { text: 'hi' },
      id: 'm1',
    });
    expect(reused).toMatchObject({ type: 'error', code: 'IDEMPOTENCY_KEY_REUSED', ref: 'm1' });
  });

  it('refuses another request with a key whose first request is still running, too', async () => {
    const world = fakeWorld();
    const alice = await TestClient.connect(world, 'c1', user('alice'), 'room:a');
    await world.idempotency.claim('ws#room:a#busy', {
      id: 'm0',
      fingerprint: 'of another request',
      owner: 'another attempt',
      now: world.clock.now(),
      staleAfterMs: 60_000,
    });
    expect(await alice.request({ type: 'publish', channel: 'room:a', data: {}, id: 'busy' })).toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
  });

  it('treats the same id on another channel as a new message', async () => {
    const world = fakeWorld();
    const alice = await TestClient.connect(world, 'c1', user('alice'), 'room:a,room:b');
    await alice.request({ type: 'publish', channel: 'room:a', data: {}, id: 'same' });
    const other = await alice.request({ type: 'publish', channel: 'room:b', data: {}, id: 'same' });
    expect(other).not.toHaveProperty('duplicate');
    expect(alice.received()).toHaveLength(2);
  });
});

describe('recovery with since', () => {
  it('replays every stored message after since, in order, after the subscribed frame', async () => {
    const world = fakeWorld();
    const publisher = await TestClient.connect(world, 'pub', user('p'), 'room:r');
    for (let i = 1; i <= 5; i++) await publisher.request({ type: 'publish', channel: 'room:r', data: { i } });
    const late = await TestClient.connect(world, 'late');
    const replies = await late.send({ type: 'subscribe', channel: 'room:r', since: 2 });
    expect(replies[0]).toEqual({ type: 'subscribed', channel: 'room:r', seq: 5, recovered: true });
    expect(replies.slice(1).map((f) => [f.seq, (f.data as { i: number }).i])).toEqual([
      [3, 3],
      [4, 4],
      [5, 5],
    ]);
  });

  it('sends live only what the replay does not cover', async () => {
    const world = fakeWorld();
    const publisher = await TestClient.connect(world, 'pub', user('p'), 'room:r');
    await publisher.request({ type: 'publish', channel: 'room:r', data: { i: 1 } });
    const late = await TestClient.connect(world, 'late');
    await late.send({ type: 'subscribe', channel: 'room:r', since: 0 });
    // A fan-out of seq 1 still under way when the subscription appeared must skip it: the replay has it.
    expect(world.connections.subs.get('room:r')?.get('late')?.replayedTo).toBe(1);
    await publisher.request({ type: 'publish', channel: 'room:r', data: { i: 2 } });
    expect(late.received().map((f) => f.seq)).toEqual([2]);
  });

  it('says recovered: false when retention dropped part of the range', async () => {
    const world = fakeWorld({ RATE_LIMIT_PER_MINUTE: '1000' });
    const publisher = await TestClient.connect(world, 'pub', user('p'), 'room:r');
    for (let i = 1; i <= 105; i++)
      await publisher.request({ type: 'publish', channel: 'room:r', data: { i } });
    const late = await TestClient.connect(world, 'late');
    const replies = await late.send({ type: 'subscribe', channel: 'room:r', since: 0 });
    expect(replies[0]).toMatchObject({ seq: 105, recovered: false });
    expect(replies).toHaveLength(1 + 100); // rooms keep the last 100
    expect(replies[1]?.seq).toBe(6);
  });
});

describe('errors: every code these frames can produce, and nothing else happens', () => {
  const cases: [string, () => Promise<{ send: unknown; code: string; message?: RegExp; ref?: string }>][] = [
    ['INVALID_JSON for text that is not JSON', async () => ({ send: '{oops', code: 'INVALID_JSON' })],
    ['INVALID_JSON for JSON that is not an object', async () => ({ send: '[1,2]', code: 'INVALID_JSON' })],
    [
      'INVALID_MESSAGE naming a missing field',
      async () => ({ send: { type: 'subscribe' }, code: 'INVALID_MESSAGE', message: /channel is required/ }),
    ],
    [
      'INVALID_MESSAGE for a field of the wrong type',
      async () => ({
        send: { type: 'publish', channel: 'room:a', data: 'text', id: 'r1' },
        code: 'INVALID_MESSAGE',
        message: /data/,
        ref: 'r1',
      }),
    ],
    [
      'INVALID_MESSAGE for a non-string type',
      async () => ({ send: { type: 7 }, code: 'INVALID_MESSAGE', message: /type must be a string/ }),
    ],
    [
      'INVALID_MESSAGE for a frame with neither type nor a known field',
      async () => ({ send: { hello: 1 }, code: 'INVALID_MESSAGE', message: /type is required/ }),
    ],
    ['UNKNOWN_TYPE', async () => ({ send: { type: 'teleport' }, code: 'UNKNOWN_TYPE', message: /teleport/ })],
    [
      'INVALID_CHANNEL for an unknown namespace',
      async () => ({ send: { type: 'subscribe', channel: 'nope:x' }, code: 'INVALID_CHANNEL' }),
    ],
    [
      'INVALID_CHANNEL for a malformed name',
      async () => ({ send: { type: 'subscribe', channel: 'room:has space' }, code: 'INVALID_CHANNEL' }),
    ],
    [
      'NOT_SUBSCRIBED when publishing to a room before subscribing',
      async () => ({
        send: { type: 'publish', channel: 'room:elsewhere', data: {} },
        code: 'NOT_SUBSCRIBED',
      }),
    ],
    [
      'UNAUTHORIZED when an anonymous connection subscribes to a user channel',
      async () => ({ send: { type: 'subscribe', channel: 'user:bob' }, code: 'UNAUTHORIZED' }),
    ],
    [
      'FORBIDDEN when publishing to a namespace clients cannot publish to',
      async () => ({ send: { type: 'publish', channel: 'live', data: {} }, code: 'FORBIDDEN' }),
    ],
    [
      'PAYLOAD_TOO_LARGE for data over the namespace limit',
      async () => ({
        send: { type: 'publish', channel: 'room:mine', data: { blob: 'x'.repeat(17_000) } },
        code: 'PAYLOAD_TOO_LARGE',
      }),
    ],
  ];

  it.each(cases)('%s', async (_, make) => {
    const world = fakeWorld();
    const client = await TestClient.connect(world, 'c1', undefined, 'room:mine');
    const { send, code, message, ref } = await make();
    const reply = await client.request(send);
    expect(reply).toMatchObject({ type: 'error', code });
    if (message) expect(reply.message).toMatch(message);
    if (ref) expect(reply.ref).toBe(ref);
    expect(world.gateway.posts).toHaveLength(0);
    // The connection is still usable.
    expect(await client.request({ type: 'ping', timestamp: 'after' })).toEqual({
      type: 'pong',
      timestamp: 'after',
    });
  });

  it('FORBIDDEN when subscribing to another user channel', async () => {
    const world = fakeWorld();
    const alice = await TestClient.connect(world, 'c1', user('alice'));
    expect(await alice.request({ type: 'subscribe', channel: 'user:bob' })).toMatchObject({
      code: 'FORBIDDEN',
      message: '"user:bob" is another user\'s channel',
    });
    expect(world.connections.channelsOf('c1')).toEqual(['user:alice']);
  });

  it('FORBIDDEN for the org channel of an organisation the user is not in', async () => {
    const world = fakeWorld();
    const alice = await TestClient.connect(world, 'c1', user('alice', { orgs: ['acme'] }));
    expect(await alice.request({ type: 'subscribe', channel: 'org:acme' })).toMatchObject({
      type: 'subscribed',
    });
    expect(await alice.request({ type: 'subscribe', channel: 'org:globex' })).toMatchObject({
      code: 'FORBIDDEN',
    });
  });

  it('INVALID_MESSAGE once the channel limit is reached, keeping the channels it has', async () => {
    const world = fakeWorld({ MAX_CHANNELS_PER_CONNECTION: '2' });
    const client = await TestClient.connect(world, 'c1');
    await client.request({ type: 'subscribe', channel: 'room:1' });
    await client.request({ type: 'subscribe', channel: 'room:2' });
    expect(await client.request({ type: 'subscribe', channel: 'room:3' })).toMatchObject({
      code: 'INVALID_MESSAGE',
      message: expect.stringContaining('at most 2 channels'),
    });
    expect(world.connections.channelsOf('c1').sort()).toEqual(['room:1', 'room:2']);
  });

  it('RATE_LIMITED for the frame after the limit within a minute, not processed, and fine the next minute', async () => {
    const world = fakeWorld({ RATE_LIMIT_PER_MINUTE: '5' });
    world.clock.t = Date.UTC(2026, 10, 23, 12, 0, 0);
    const client = await TestClient.connect(world, 'c1', undefined, 'room:a');
    for (let i = 0; i < 5; i++)
      expect(await client.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    expect(await client.request({ type: 'publish', channel: 'room:a', data: {}, id: 'p6' })).toEqual({
      type: 'error',
      code: 'RATE_LIMITED',
      message: 'More than 5 frames in a minute; this frame was not processed',
      ref: 'p6',
    });
    expect(world.gateway.posts).toHaveLength(0);
    // Counted as a frame of no known kind (it was not processed), an error, and a rate-limited frame.
    expect(world.metrics.totals).toMatchObject({ Frames: 6, Errors: 1, RateLimitedFrames: 1 });
    expect(world.metrics.breakdowns).toEqual({
      Frames: { ping: 5, unknown: 1 },
      Errors: { RATE_LIMITED: 1 },
    });
    world.clock.advance(60_000);
    expect(await client.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
  });

  it('counts frames by the kind their handler is registered under: a type, or a typeless frame’s field', async () => {
    const world = fakeWorld();
    const client = await TestClient.connect(world, 'c1', user('alice'));
    await client.send({ type: 'ping' });
    await client.send({ content: 'hi' }); // a chat seed's frame: no channel given, so an error too
    await client.send({ type: 'no-such-type' });
    expect(world.metrics.breakdowns.Frames).toEqual({ ping: 1, content: 1, unknown: 1 });
    expect(world.metrics.breakdowns.Errors).toEqual({ CHANNEL_REQUIRED: 1, UNKNOWN_TYPE: 1 });
  });

  it('UNAUTHORIZED and a close when the token has expired since connecting', async () => {
    const world = fakeWorld();
    const exp = Math.floor(world.clock.now() / 1000) + 60;
    const alice = await TestClient.connect(world, 'c1', user('alice', { exp }));
    expect(await alice.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    world.clock.advance(61_000 + 30_000 + 1000); // past exp and the clock tolerance
    const ctx = await alice.handle({ type: 'ping' });
    expect(ctx.closeAfterReply).toBe(true);
    expect(JSON.parse(ctx.replies[0] ?? '')).toMatchObject({ type: 'error', code: 'UNAUTHORIZED' });
  });

  it('INTERNAL for a fault of the server, saying nothing of it, and logging it', async () => {
    const world = fakeWorld();
    const client = await TestClient.connect(world, 'c1');
    world.messages.currentSeq = async () => {
      throw new Error('ProvisionedThroughputExceeded at db-host-7');
    };
    const reply = await client.request({ type: 'subscribe', channel: 'room:a' });
    expect(reply).toEqual({
      type: 'error',
      code: 'INTERNAL',
      message: 'Internal error; the request was not processed',
    });
    expect(JSON.stringify(reply)).not.toContain('db-host-7');
    expect(
      world.log.lines.some((l) => l.level === 'error' && String(l.extra?.error).includes('db-host-7')),
    ).toBe(true);
  });
});

describe('publish', () => {
  it('delivers an ephemeral event without a seq and without storing it, even in a channel with history', async () => {
    const world = fakeWorld();
    const client = await TestClient.connect(world, 'c1', anonymous, 'room:a');
    const result = await publish(world, {
      channels: [world.channels.parse('room:a')],
      event: { type: 'notification', event: 'user_joined' },
      ephemeral: true,
    });
    expect(result.channels).toEqual([{ channel: 'room:a' }]);
    expect(client.received()).toEqual([
      {
        type: 'notification',
        event: 'user_joined',
        channel: 'room:a',
        id: 'msg-000001',
        timestamp: expect.any(String),
      },
    ]);
    expect(world.messages.histories.get('room:a')).toBeUndefined();
    expect(await world.messages.currentSeq('room:a')).toBe(0);
  });

  it('lets the envelope win over the event: type, channel, id, timestamp and seq cannot be forged', async () => {
    const world = fakeWorld();
    const client = await TestClient.connect(world, 'c1', anonymous, 'room:a');
    await publish(world, {
      channels: [world.channels.parse('room:a')],
      event: {
        type: 'api_message',
        channel: 'room:other',
        id: 'forged',
        timestamp: 'then',
        seq: 999,
        message: 'hi',
      },
    });
    expect(client.received()[0]).toEqual({
      type: 'api_message',
      channel: 'room:a',
      id: 'msg-000001',
      timestamp: '2026-11-23T12:00:00.000Z',
      seq: 1,
      message: 'hi',
    });
  });
});
