import { afterEach, describe, expect, it } from 'vitest';
import { clientPool, unique } from './support/client';
import { shared, token } from './support/stack';

const { wsUrl, httpUrl } = shared();
const clients = clientPool();
afterEach(() => clients.closeAll());

describe("seed 001's chat flow in a room", () => {
  it('two clients: join notification, messages both ways, a too-long message refused, leave notification', async () => {
    const room = unique('room:');
    const alice = await clients.connect(wsUrl, {
      token: await token(httpUrl, { sub: unique('alice-'), name: 'Alice' }),
      channels: [room],
    });
    await alice.hello();

    // Bob joins at connect, anonymously, as the seed's clients did (one URL per room).
    const bob = await clients.connect(wsUrl, { channels: [room] });
    const joined = await alice.nextOfType('notification');
    expect(joined).toEqual({
      type: 'notification',
      channel: room,
      id: expect.any(String),
      timestamp: expect.any(String),
      event: 'user_joined',
      message: 'A user joined the room',
      user: null,
    });
    await bob.hello();

    // Alice to the room: her token's name, whatever the frame says.
    const ack = await alice.request(
      { type: 'chat_message', message: 'Hello everyone!', username: 'Mallory', id: 'a-1' },
      'ack',
    );
    expect(ack).toMatchObject({ ref: 'a-1', channel: room, seq: 1 });
    for (const client of [alice, bob]) {
      expect(await client.nextOfType('chat_message')).toEqual({
        type: 'chat_message',
        channel: room,
        id: ack.id,
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        seq: 1,
        message: 'Hello everyone!',
        username: 'Alice',
        sender: { id: expect.stringMatching(/^alice-/), username: 'Alice' },
      });
    }

    // Bob back, naming himself, with no channel: his one room is used.
    const reply = await bob.request({ type: 'chat_message', message: 'Hi Alice', username: 'Bob' }, 'ack');
    expect(reply.seq).toBe(2);
    expect(await alice.nextOfType('chat_message')).toMatchObject({
      message: 'Hi Alice',
      username: 'Bob',
      sender: null,
      seq: 2,
    });
    await bob.nextOfType('chat_message');

    // Too long: an error to Bob, nothing to the room.
    const refused = await bob.request(
      { type: 'chat_message', message: 'x'.repeat(1001), id: 'b-long' },
      'error',
    );
    expect(refused).toMatchObject({ code: 'MESSAGE_TOO_LONG', ref: 'b-long' });
    expect((await alice.sync()).filter((f) => f.type === 'chat_message')).toEqual([]);

    // Bob leaves: Alice is told.
    await bob.close();
    expect(await alice.nextOfType('notification')).toMatchObject({
      channel: room,
      event: 'user_left',
      message: 'A user left the room',
      user: null,
    });

    // Messages are in the room's history; presence notices are not.
    const history = (await (await fetch(`${httpUrl}/v1/channels/${room}/history`)).json()) as {
      messages: { type: string; message: string }[];
    };
    expect(history.messages.map((m) => [m.type, m.message])).toEqual([
      ['chat_message', 'Hello everyone!'],
      ['chat_message', 'Hi Alice'],
    ]);
  });

  it('tells the room when a user unsubscribes, naming an authenticated user', async () => {
    const room = unique('room:');
    const stays = await clients.connect(wsUrl, { channels: [room] });
    await stays.hello();
    const carol = await clients.connect(wsUrl, {
      token: await token(httpUrl, { sub: unique('carol-'), name: 'Carol' }),
    });
    await carol.request({ type: 'subscribe', channel: room }, 'subscribed');
    expect(await stays.nextOfType('notification')).toMatchObject({
      event: 'user_joined',
      user: { username: 'Carol' },
    });
    await carol.request({ type: 'unsubscribe', channel: room }, 'unsubscribed');
    expect(await stays.nextOfType('notification')).toMatchObject({
      event: 'user_left',
      user: { username: 'Carol' },
    });
    expect(
      await carol.request({ type: 'chat_message', message: 'hi', channel: room }, 'error'),
    ).toMatchObject({
      code: 'NOT_SUBSCRIBED',
    });
  });

  it('20 clients joining one room at connect, all at once, all stay in it (the join notices do not drop them)', async () => {
    const room = unique('room:');
    const all = await Promise.all(
      Array.from({ length: 20 }, () => clients.connect(wsUrl, { channels: [room] })),
    );
    const established = await Promise.all(all.map((c) => c.hello()));
    expect(established.map((e) => e.channels)).toEqual(all.map(() => [room]));

    const ack = await all[0]!.request({ type: 'chat_message', message: 'all here?' }, 'ack');
    const got = await Promise.all(all.map((c) => c.nextOfType('chat_message')));
    expect(got.map((f) => f.id)).toEqual(all.map(() => ack.id));
  });
});
