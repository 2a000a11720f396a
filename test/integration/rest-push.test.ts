import { afterEach, describe, expect, it } from 'vitest';
import { clientPool, unique } from './support/client';
import { api } from './support/http';
import { shared, token } from './support/stack';

const { wsUrl, httpUrl } = shared();
const clients = clientPool();
afterEach(() => clients.closeAll());

const call = (method: string, path: string, bearer: string | null, body?: unknown) =>
  api(httpUrl, method, path, { bearer: bearer ?? undefined, body });

describe('POST /v1/notifications', () => {
  it('reaches a user whose sub is no channel name (Auth0 style) on its user channel', async () => {
    const sub = unique('auth0|');
    const phone = await clients.connect(wsUrl, { token: await token(httpUrl, { sub }) });
    expect((await phone.hello()).channels).toEqual([`user:${sub.replace('|', '=7C')}`]);
    const service = await token(httpUrl, { sub: unique('svc-'), scope: 'realtime:publish' });
    const res = await call('POST', '/v1/notifications', service, {
      user_id: sub,
      title: 'Hi',
      message: 'there',
    });
    expect(res).toMatchObject({ status: 202, body: { recipients: 1, delivered: 1 } });
    expect(await phone.nextOfType('notification')).toMatchObject({ title: 'Hi', message: 'there' });
  });

  it("reaches both of a user's connections and nobody else", async () => {
    const alice = unique('alice-');
    const aliceToken = await token(httpUrl, { sub: alice });
    const phone = await clients.connect(wsUrl, { token: aliceToken });
    const laptop = await clients.connect(wsUrl, { token: aliceToken });
    const bob = await clients.connect(wsUrl, { token: await token(httpUrl, { sub: unique('bob-') }) });
    const service = await token(httpUrl, { sub: unique('svc-'), scope: 'realtime:publish' });

    const res = await call('POST', '/v1/notifications', service, {
      user_id: alice,
      title: 'New Order',
      message: 'Order #456 has been received',
      priority: 'high',
    });
    expect(res).toMatchObject({ status: 202, body: { recipients: 2, delivered: 2, seq: 1 } });

    for (const client of [phone, laptop]) {
      expect(await client.nextOfType('notification')).toEqual({
        type: 'notification',
        channel: `user:${alice}`,
        id: res.body.id,
        timestamp: expect.any(String),
        seq: 1,
        title: 'New Order',
        message: 'Order #456 has been received',
        priority: 'high',
      });
    }
    expect((await bob.sync()).filter((f) => f.type === 'notification')).toEqual([]);
  });

  it('lets a user notify itself but not another user without realtime:publish', async () => {
    const alice = unique('alice-');
    const aliceToken = await token(httpUrl, { sub: alice });
    const phone = await clients.connect(wsUrl, { token: aliceToken });

    const self = await call('POST', '/v1/notifications', aliceToken, { title: 'Note', message: 'to self' });
    expect(self.status).toBe(202);
    expect(await phone.nextOfType('notification')).toMatchObject({ priority: 'normal', message: 'to self' });

    const other = await call('POST', '/v1/notifications', aliceToken, {
      user_id: unique('bob-'),
      title: 'Hi',
      message: 'from Alice',
    });
    expect(other).toMatchObject({
      status: 403,
      contentType: 'application/problem+json',
      body: { code: 'FORBIDDEN' },
    });

    const anonymous = await call('POST', '/v1/notifications', null, { title: 'x', message: 'y' });
    expect(anonymous.status).toBe(401);
  });
});

describe('POST /v1/rooms/{room}/messages', () => {
  it('to a target user reaches only that user in that room; without one, the whole room', async () => {
    const name = unique('');
    const room = `room:${name}`;
    const alice = unique('alice-');
    const aliceToken = await token(httpUrl, { sub: alice });
    const aliceInRoom = await clients.connect(wsUrl, { token: aliceToken, channels: [room] });
    const aliceElsewhere = await clients.connect(wsUrl, { token: aliceToken, channels: [unique('room:')] });
    const bob = await clients.connect(wsUrl, {
      token: await token(httpUrl, { sub: unique('bob-') }),
      channels: [room],
    });
    const anonymous = await clients.connect(wsUrl, { channels: [room] });
    const everyone = [aliceInRoom, aliceElsewhere, bob, anonymous];
    await Promise.all(everyone.map((c) => c.hello()));
    const service = await token(httpUrl, {
      sub: unique('svc-'),
      name: 'Dispatcher',
      scope: 'realtime:publish',
    });

    const targeted = await call('POST', `/v1/rooms/${name}/messages`, service, {
      message: 'Only for you',
      target_user: alice,
      data: { source: 'curl' },
    });
    expect(targeted).toMatchObject({ status: 202, body: { recipients: 1, delivered: 1 } });
    const broadcast = await call('POST', `/v1/rooms/${name}/messages`, service, {
      message: 'For everyone',
      target_user: null,
    });
    expect(broadcast).toMatchObject({ status: 202, body: { recipients: 3, delivered: 3, seq: 1 } });

    const received = await Promise.all(everyone.map((c) => c.sync()));
    const messages = received.map((frames) =>
      frames.filter((f) => f.type === 'api_message').map((f) => f.message),
    );
    expect(messages).toEqual([['Only for you', 'For everyone'], [], ['For everyone'], ['For everyone']]);
    expect(received[0]!.find((f) => f.type === 'api_message')).toEqual({
      type: 'api_message',
      channel: room,
      id: targeted.body.id,
      timestamp: expect.any(String),
      message: 'Only for you',
      sender: { id: expect.stringMatching(/^svc-/), username: 'Dispatcher' },
      data: { source: 'curl' },
    });
  });

  it('needs realtime:publish', async () => {
    const user = await token(httpUrl, { sub: unique('u-') });
    expect((await call('POST', '/v1/rooms/general/messages', user, { message: 'hi' })).status).toBe(403);
  });
});

describe('POST /v1/locations', () => {
  it('sends location_update to the device and the room', async () => {
    const device = unique('car-');
    const roomName = unique('');
    const dashboard = await clients.connect(wsUrl, { channels: [`device:${device}`] });
    const room = await clients.connect(wsUrl, { channels: [`room:${roomName}`] });
    await Promise.all([dashboard.hello(), room.hello()]);
    const service = await token(httpUrl, { sub: unique('svc-'), scope: 'realtime:publish' });

    const res = await call('POST', '/v1/locations', service, {
      latitude: 40.7128,
      longitude: -74.006,
      device_id: device,
      room: roomName,
    });
    expect(res).toMatchObject({ status: 202, body: { recipients: 2, delivered: 2 } });
    const fields = { type: 'location_update', latitude: 40.7128, longitude: -74.006, device_id: device };
    expect(await dashboard.nextOfType('location_update')).toMatchObject({
      ...fields,
      channel: `device:${device}`,
    });
    expect(await room.nextOfType('location_update')).toMatchObject({
      ...fields,
      channel: `room:${roomName}`,
      seq: 1,
    });

    const bad = await call('POST', '/v1/locations', service, {
      latitude: 120,
      longitude: 0,
      device_id: device,
    });
    expect(bad).toMatchObject({ status: 400, body: { code: 'INVALID_MESSAGE' } });
  });
});

describe('GET /v1/stats and DELETE /v1/connections/{id}', () => {
  it('counts connections for anyone', async () => {
    const client = await clients.connect(wsUrl, { channels: [unique('room:')] });
    await client.hello();
    const res = await call('GET', '/v1/stats', null);
    expect(res).toMatchObject({
      status: 200,
      body: {
        connections: expect.any(Number),
        channels: expect.any(Number),
        users: expect.any(Number),
        timestamp: expect.any(String),
      },
    });
    expect(res.body.connections).toBeGreaterThanOrEqual(1);
    expect(res.body.channels).toBeGreaterThanOrEqual(1);
  });

  it('lets an admin close a connection: the socket closes, the room is told, and a second DELETE is 404', async () => {
    const room = unique('room:');
    const watcher = await clients.connect(wsUrl, { channels: [room] });
    await watcher.hello();
    const target = await clients.connect(wsUrl, { channels: [room] });
    await watcher.nextOfType('notification', (f) => f.event === 'user_joined');
    const id = String((await target.hello()).connection_id);
    const path = `/v1/connections/${encodeURIComponent(id)}`;

    const user = await token(httpUrl, { sub: unique('u-'), scope: 'realtime:publish' });
    expect((await call('DELETE', path, user)).status).toBe(403);

    const admin = await token(httpUrl, { sub: unique('ops-'), scope: 'realtime:admin' });
    const res = await call('DELETE', path, admin);
    expect(res.status).toBe(204);
    expect((await target.closed).code).toBe(1000);
    expect(await watcher.nextOfType('notification')).toMatchObject({ event: 'user_left' });
    // Told once, though both the DELETE and API Gateway's $disconnect remove the connection.
    expect((await watcher.sync()).filter((f) => f.type === 'notification')).toEqual([]);

    const again = await call('DELETE', path, admin);
    expect(again).toMatchObject({
      status: 404,
      contentType: 'application/problem+json',
      body: { code: 'NOT_FOUND' },
    });
  });
});
