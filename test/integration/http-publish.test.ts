import { afterEach, describe, expect, it } from 'vitest';
import { clientPool, unique } from './support/client';
import { publish, shared, token } from './support/stack';

const { wsUrl, httpUrl } = shared();
const clients = clientPool();
const connect = clients.connect;
afterEach(() => clients.closeAll());

describe('POST /v1/publish', () => {
  it('reaches exactly the targeted channel, user and connection, and nobody else', async () => {
    const room = unique('room:');
    const otherRoom = unique('room:');
    const bob = unique('bob-');
    const publisher = await token(httpUrl, { sub: unique('svc-'), scope: 'realtime:publish' });

    const inRoom = await connect(wsUrl, { channels: [room] });
    const bobsPhone = await connect(wsUrl, { token: await token(httpUrl, { sub: bob }) });
    const byId = await connect(wsUrl);
    const bystander = await connect(wsUrl, { channels: [otherRoom] });
    const everyone = [inRoom, bobsPhone, byId, bystander];
    const byIdConnection = String((await byId.hello()).connection_id);

    const toChannel = await publish(httpUrl, publisher, {
      channel: room,
      type: 'announcement',
      data: { n: 1 },
    });
    expect(toChannel.status).toBe(202);
    expect(toChannel.body).toMatchObject({ recipients: 1, delivered: 1, gone: 0 });

    const toUser = await publish(httpUrl, publisher, {
      user_ids: [bob],
      type: 'announcement',
      data: { n: 2 },
    });
    expect(toUser.body).toMatchObject({ recipients: 1, delivered: 1 });

    const toConnection = await publish(httpUrl, publisher, {
      connection_ids: [byIdConnection],
      type: 'announcement',
      data: { n: 3 },
    });
    expect(toConnection.body).toMatchObject({ recipients: 1, delivered: 1 });

    const received = await Promise.all(everyone.map((c) => c.sync()));
    const announcements = received.map((frames) =>
      frames.filter((f) => f.type === 'announcement').map((f) => f.n),
    );
    expect(announcements).toEqual([[1], [2], [3], []]);
    expect(received[0]!.find((f) => f.type === 'announcement')).toMatchObject({
      channel: room,
      id: toChannel.body.id,
      timestamp: expect.any(String),
    });
  });
});
