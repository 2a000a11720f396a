import { afterEach, describe, expect, it } from 'vitest';
import { clientPool, unique } from './support/client';
import { shared, token } from './support/stack';

const { wsUrl, httpUrl } = shared();
const clients = clientPool();
const connect = clients.connect;
afterEach(() => clients.closeAll());

describe('two clients in a room', () => {
  it('say hello, subscribe, and both receive what one of them publishes, with an ack for the sender', async () => {
    const room = unique('room:');
    const alice = await connect(wsUrl, {
      token: await token(httpUrl, { sub: unique('alice-'), name: 'Alice' }),
    });
    const bob = await connect(wsUrl); // anonymous: rooms are open to anyone

    const established = await alice.hello();
    expect(established).toMatchObject({ type: 'connection.established', connection_id: expect.any(String) });
    expect((await bob.hello()).user_id).toBeNull();

    expect(await alice.request({ type: 'subscribe', channel: room }, 'subscribed')).toMatchObject({
      channel: room,
      seq: 0,
    });
    expect(await bob.request({ type: 'subscribe', channel: room }, 'subscribed')).toMatchObject({
      channel: room,
    });

    const ack = await alice.request({ type: 'publish', channel: room, data: { text: 'hi Bob' } }, 'ack');
    expect(ack).toMatchObject({ channel: room, seq: 1 });

    for (const client of [alice, bob]) {
      const publication = await client.nextOfType('publication');
      expect(publication).toMatchObject({
        channel: room,
        id: ack.id,
        seq: 1,
        data: { text: 'hi Bob' },
        sender: { id: expect.stringMatching(/^alice-/), username: 'Alice' },
      });
    }

    const reply = await bob.request({ type: 'publish', channel: room, data: { text: 'hi Alice' } }, 'ack');
    expect(reply.seq).toBe(2);
    expect(await alice.nextOfType('publication')).toMatchObject({ sender: null, data: { text: 'hi Alice' } });
    expect(await bob.nextOfType('publication')).toMatchObject({ seq: 2 });
  });
});
