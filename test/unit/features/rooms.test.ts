import { describe, expect, it } from 'vitest';
import { disconnect } from '../../../shared/core/connections';
import { fakeWorld } from '../../support/fakes';
import { anonymous, TestClient, user } from '../../support/world';

const T = '2026-11-23T12:00:00.000Z';

describe('chat_message in a room', () => {
  it('is broadcast to the room with username, sender, timestamp and seq, and acked to the sender', async () => {
    const world = fakeWorld({ PRESENCE_ANNOUNCE_MAX: '0' });
    const alice = await TestClient.connect(
      world,
      'c-alice',
      user('alice', { username: 'Alice' }),
      'room:lobby',
    );
    const bob = await TestClient.connect(world, 'c-bob', anonymous, 'room:lobby');

    const ack = await alice.request({ type: 'chat_message', message: '  Hello everyone!  ', id: 'm-1' });

    expect(ack).toEqual({
      type: 'ack',
      id: 'msg-000001',
      ref: 'm-1',
      channel: 'room:lobby',
      seq: 1,
      status: 'delivered',
    });
    const broadcast = {
      type: 'chat_message',
      channel: 'room:lobby',
      id: 'msg-000001',
      timestamp: T,
      seq: 1,
      message: 'Hello everyone!',
      username: 'Alice',
      sender: { id: 'alice', username: 'Alice' },
    };
    expect(bob.received()).toEqual([broadcast]);
    expect(alice.received()).toEqual([broadcast]);
    expect(world.messages.histories.get('room:lobby')?.map((e) => JSON.parse(e.frame))).toEqual([broadcast]);
  });

  it("shows an authenticated sender with its token's name, whatever username the frame gives", async () => {
    const world = fakeWorld();
    const alice = await TestClient.connect(world, 'c1', user('alice', { username: 'Alice' }), 'room:r');
    await alice.request({ type: 'chat_message', message: 'hi', username: 'The Boss' });
    expect(alice.received()).toMatchObject([{ username: 'Alice', sender: { id: 'alice' } }]);
  });

  it.each([
    [{ username: '  Bob  ' }, 'Bob'],
    [{ username: '' }, 'Anonymous'],
    [{ username: null }, 'Anonymous'],
    [{}, 'Anonymous'],
  ])('lets an anonymous sender name itself: %j shows as %s', async (extra, shown) => {
    const world = fakeWorld();
    const client = await TestClient.connect(world, 'c1', anonymous, 'room:r');
    await client.request({ type: 'chat_message', message: 'hi', ...extra });
    expect(client.received()).toMatchObject([{ username: shown, sender: null }]);
  });

  it('refuses an anonymous username over 50 characters', async () => {
    const client = await TestClient.connect(fakeWorld(), 'c1', anonymous, 'room:r');
    expect(
      await client.request({ type: 'chat_message', message: 'hi', username: 'x'.repeat(51) }),
    ).toMatchObject({
      type: 'error',
      code: 'INVALID_MESSAGE',
      message: 'username must be at most 50 characters',
    });
  });

  it('takes 1000 characters, counting code points, and refuses 1001 with MESSAGE_TOO_LONG, sending nothing', async () => {
    const world = fakeWorld();
    const client = await TestClient.connect(world, 'c1', anonymous, 'room:r');
    expect(await client.request({ type: 'chat_message', message: '😀'.repeat(1000) })).toMatchObject({
      type: 'ack',
    });
    expect(await client.request({ type: 'chat_message', message: 'a'.repeat(1001), id: 'long' })).toEqual({
      type: 'error',
      code: 'MESSAGE_TOO_LONG',
      message: 'message is 1001 characters; at most 1000 are allowed',
      ref: 'long',
    });
    expect(client.received()).toHaveLength(1);
  });

  it.each([
    [{ type: 'chat_message' }, 'INVALID_MESSAGE', 'message is required'],
    [{ type: 'chat_message', message: '   ' }, 'INVALID_MESSAGE', 'message must not be empty'],
    [{ type: 'chat_message', message: 42 }, 'INVALID_MESSAGE', undefined],
    [{ type: 'chat_message', message: 'hi', channel: 'counter:c' }, 'INVALID_CHANNEL', undefined],
  ])('answers %j with %s', async (frame, code, message) => {
    const client = await TestClient.connect(fakeWorld(), 'c1', anonymous, 'room:r');
    const reply = await client.request(frame);
    expect(reply).toMatchObject({ type: 'error', code });
    if (message) expect(reply.message).toBe(message);
  });

  it('needs a subscription to the room (NOT_SUBSCRIBED) and a channel when there are several (CHANNEL_REQUIRED)', async () => {
    const world = fakeWorld();
    const client = await TestClient.connect(world, 'c1', anonymous, 'room:a,room:b');
    expect(await client.request({ type: 'chat_message', message: 'hi', channel: 'room:c' })).toMatchObject({
      code: 'NOT_SUBSCRIBED',
    });
    expect(await client.request({ type: 'chat_message', message: 'hi' })).toMatchObject({
      code: 'CHANNEL_REQUIRED',
    });
    expect(await client.request({ type: 'chat_message', message: 'hi', channel: 'room:b' })).toMatchObject({
      type: 'ack',
      channel: 'room:b',
    });
    const lone = await TestClient.connect(world, 'c2');
    expect(await lone.request({ type: 'chat_message', message: 'hi' })).toMatchObject({
      code: 'CHANNEL_REQUIRED',
    });
  });

  it('delivers a message id once: a repeat is acked as a duplicate and not sent again', async () => {
    const world = fakeWorld();
    const client = await TestClient.connect(world, 'c1', anonymous, 'room:r');
    const first = await client.request({ type: 'chat_message', message: 'hi', id: 'same' });
    const again = await client.request({ type: 'chat_message', message: 'hi', id: 'same' });
    expect(again).toEqual({ ...first, duplicate: true });
    expect(client.received()).toHaveLength(1);
  });
});

describe('presence in a room', () => {
  const notices = (client: TestClient) => client.received().filter((f) => f.type === 'notification');

  it('tells the others, not the joiner, when a user joins by subscribe or at connect, without seq or history', async () => {
    const world = fakeWorld();
    const alice = await TestClient.connect(world, 'c-alice', user('alice', { username: 'Alice' }), 'room:r');
    const bob = await TestClient.connect(world, 'c-bob', user('bob', { username: 'Bob' }));
    await bob.request({ type: 'subscribe', channel: 'room:r' });
    await TestClient.connect(world, 'c-anon', anonymous, 'room:r');

    expect(notices(alice)).toEqual([
      {
        type: 'notification',
        channel: 'room:r',
        id: 'msg-000001',
        timestamp: T,
        event: 'user_joined',
        message: 'A user joined the room',
        user: { id: 'bob', username: 'Bob' },
      },
      expect.objectContaining({ event: 'user_joined', user: null }),
    ]);
    expect(notices(bob)).toEqual([expect.objectContaining({ event: 'user_joined', user: null })]);
    expect(world.messages.histories.get('room:r')).toBeUndefined();
    expect(world.messages.seqs.get('room:r')).toBeUndefined();
  });

  it('tells the others when a user leaves by unsubscribe or by disconnect', async () => {
    const world = fakeWorld();
    const alice = await TestClient.connect(world, 'c-alice', user('alice'), 'room:r');
    const bob = await TestClient.connect(world, 'c-bob', user('bob', { username: 'Bob' }), 'room:r');
    const carol = await TestClient.connect(world, 'c-carol', anonymous, 'room:r');
    world.gateway.posts.length = 0;

    await bob.request({ type: 'unsubscribe', channel: 'room:r' });
    await disconnect(world, 'c-carol');

    expect(notices(alice)).toEqual([
      expect.objectContaining({
        event: 'user_left',
        message: 'A user left the room',
        user: { id: 'bob', username: 'Bob' },
      }),
      expect.objectContaining({ event: 'user_left', user: null }),
    ]);
    expect(notices(carol)).toEqual([
      expect.objectContaining({ event: 'user_left', user: { id: 'bob', username: 'Bob' } }),
    ]);
    expect(notices(bob)).toEqual([]);
  });

  it('says nothing in an empty room, and nothing once the room, counting the mover, is over PRESENCE_ANNOUNCE_MAX', async () => {
    const world = fakeWorld({ PRESENCE_ANNOUNCE_MAX: '2' });
    const a = await TestClient.connect(world, 'a', anonymous, 'room:r');
    const b = await TestClient.connect(world, 'b', anonymous, 'room:r'); // 2 in the room: announced
    await TestClient.connect(world, 'c', anonymous, 'room:r'); // 3: not announced
    await disconnect(world, 'c'); // 3 with the leaver: not announced
    await disconnect(world, 'b'); // 2 with the leaver: announced
    await disconnect(world, 'a'); // nobody left to tell

    expect(notices(a).map((n) => n.event)).toEqual(['user_joined', 'user_left']);
    expect(notices(b)).toEqual([]);
    expect(world.gateway.posts).toHaveLength(2);
  });

  it('sends no notice when the room grew past PRESENCE_ANNOUNCE_MAX after the count that decided to send it', async () => {
    const world = fakeWorld({ PRESENCE_ANNOUNCE_MAX: '3' });
    const a = await TestClient.connect(world, 'a', anonymous, 'room:r');
    const b = await TestClient.connect(world, 'b', anonymous, 'room:r');
    const c = await TestClient.connect(world, 'c', anonymous, 'room:r');
    await TestClient.connect(world, 'd', anonymous, 'room:r'); // 4: not announced
    world.gateway.posts.length = 0;
    const channel = world.channels.parse('room:r');
    const afterJoin = world.hooks[channel.namespace.name]?.afterJoin;
    const afterLeave = world.hooks[channel.namespace.name]?.afterLeave;
    if (!afterJoin || !afterLeave) throw new Error('rooms have presence hooks');

    // A burst: c's after-connect read 3 (announce), but d joined before its notice went out.
    await afterJoin({ channel, connectionId: 'c', principal: anonymous, count: 3, atConnect: true }, null);
    expect(world.gateway.posts).toEqual([]);
    // A leave read at 2 (3 with the leaver) while the room holds 4 again: not sent either.
    await afterLeave({ channel, connectionId: 'x', principal: anonymous, count: 2, reason: 'disconnect' });
    expect(world.gateway.posts).toEqual([]);

    // Back to 3 (d gone): the same join is told to the two others, the leave with 3 left is not.
    await disconnect(world, 'd'); // 4 with the leaver: not announced
    await afterJoin({ channel, connectionId: 'c', principal: anonymous, count: 3, atConnect: true }, null);
    expect(notices(a).map((n) => n.event)).toEqual(['user_joined']);
    expect(notices(b).map((n) => n.event)).toEqual(['user_joined']);
    expect(notices(c)).toEqual([]);
    await afterLeave({ channel, connectionId: 'x', principal: anonymous, count: 2, reason: 'disconnect' });
    expect(world.gateway.posts).toHaveLength(2);
  });
});
