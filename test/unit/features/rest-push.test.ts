import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../shared/core/auth/principal';
import type { Operation } from '../../../shared/core/operations';
import { closeOperation, statsOperation as stats } from '../../../shared/features/admin/operations';
import { countersOperations } from '../../../shared/features/counters/operations';
import { notificationsOperations } from '../../../shared/features/notifications/notify';
import { roomsOperations } from '../../../shared/features/rooms/push';
import { type FakeWorld, fakeWorld } from '../../support/fakes';
import { operationInput } from '../../support/operations';
import { anonymous, TestClient, user } from '../../support/world';

const T = '2026-11-23T12:00:00.000Z';
const service = user('svc', { username: 'Billing', scopes: ['realtime:publish'] });

/** An operation of a fake world, made as its Lambda module makes it. */
type Op = (world: FakeWorld) => Operation;
const notifyOperation: Op = (w) => notificationsOperations(w).notify;
const roomMessageOperation: Op = (w) => roomsOperations(w).roomMessage;
const locationOperation: Op = (w) => roomsOperations(w).location;
const readCounterOperation: Op = (w) => countersOperations(w).read;
const changeCounterOperation: Op = (w) => countersOperations(w).change;
const statsOperation: Op = (w) => stats(w);
const closeConnectionOperation: Op = (w) => closeOperation(w);

function call(
  world: FakeWorld,
  operation: Op,
  principal: Principal,
  body?: unknown,
  params: Record<string, string> = {},
) {
  return operation(world)(operationInput(principal, { body, params }));
}

const ofType = (client: TestClient, type: string) => client.received().filter((f) => f.type === type);

describe('POST /v1/notifications', () => {
  it("reaches every connection of that user and nobody else's, with priority normal by default", async () => {
    const world = fakeWorld();
    const phone = await TestClient.connect(world, 'phone', user('alice'));
    const laptop = await TestClient.connect(world, 'laptop', user('alice'));
    const bob = await TestClient.connect(world, 'bob', user('bob'));

    const res = await call(world, notifyOperation, service, {
      user_id: 'alice',
      title: 'New order',
      message: 'Order #456',
    });

    expect(res).toEqual({
      status: 202,
      body: { id: 'msg-000001', recipients: 2, status: 'delivered', delivered: 2, gone: 0, seq: 1 },
    });
    const expected = {
      type: 'notification',
      channel: 'user:alice',
      id: 'msg-000001',
      timestamp: T,
      seq: 1,
      title: 'New order',
      message: 'Order #456',
      priority: 'normal',
    };
    expect(phone.received()).toEqual([expected]);
    expect(laptop.received()).toEqual([expected]);
    expect(bob.received()).toEqual([]);
    expect(world.messages.histories.get('user:alice')).toHaveLength(1);
  });

  it('lets a user notify itself (user_id defaults to the caller), with link and data', async () => {
    const world = fakeWorld();
    const alice = await TestClient.connect(world, 'a', user('alice'));
    await call(world, notifyOperation, user('alice'), {
      title: 'Reminder',
      message: 'Stand-up',
      priority: 'high',
      link: '/calendar',
      data: { room: 'blue' },
    });
    expect(alice.received()).toMatchObject([
      { title: 'Reminder', priority: 'high', link: '/calendar', data: { room: 'blue' } },
    ]);
  });

  it('refuses a user notifying another user without realtime:publish (FORBIDDEN), sending nothing', async () => {
    const world = fakeWorld();
    const bob = await TestClient.connect(world, 'b', user('bob'));
    await expect(
      call(world, notifyOperation, user('alice'), { user_id: 'bob', title: 't', message: 'm' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(bob.received()).toEqual([]);
  });

  it.each([
    [{ message: 'm' }, 'title is required'],
    [{ title: ' ', message: 'm' }, 'title must not be empty'],
    [{ title: 't' }, 'message is required'],
    [{ title: 't', message: 'm', priority: 'urgent' }, undefined],
    [{ title: 't', message: 'm', user_id: '' }, undefined],
  ])('refuses %j with INVALID_MESSAGE', async (body, message) => {
    const promise = call(fakeWorld(), notifyOperation, service, { user_id: 'alice', ...body });
    await expect(promise).rejects.toMatchObject({ code: 'INVALID_MESSAGE', ...(message ? { message } : {}) });
  });

  it('refuses data over MAX_DATA_BYTES with PAYLOAD_TOO_LARGE', async () => {
    const world = fakeWorld({ MAX_DATA_BYTES: '100' });
    await expect(
      call(world, notifyOperation, service, {
        user_id: 'a',
        title: 't',
        message: 'm',
        data: { x: 'y'.repeat(100) },
      }),
    ).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });
});

describe('POST /v1/rooms/{room}/messages', () => {
  it('sends api_message to the whole room, with the calling service as sender, seq and history', async () => {
    const world = fakeWorld({ PRESENCE_ANNOUNCE_MAX: '0' });
    const a = await TestClient.connect(world, 'a', anonymous, 'room:general');
    const b = await TestClient.connect(world, 'b', user('bob'), 'room:general');
    const res = await call(
      world,
      roomMessageOperation,
      service,
      { message: 'Hello from REST API!', data: { source: 'curl' } },
      { room: 'general' },
    );
    expect(res).toEqual({
      status: 202,
      body: { id: 'msg-000001', recipients: 2, status: 'delivered', delivered: 2, gone: 0, seq: 1 },
    });
    const expected = {
      type: 'api_message',
      channel: 'room:general',
      id: 'msg-000001',
      timestamp: T,
      seq: 1,
      message: 'Hello from REST API!',
      sender: { id: 'svc', username: 'Billing' },
      data: { source: 'curl' },
    };
    expect(a.received()).toEqual([expected]);
    expect(b.received()).toEqual([expected]);
  });

  it("with target_user, reaches only that user's connections in the room, unstored", async () => {
    const world = fakeWorld({ PRESENCE_ANNOUNCE_MAX: '0' });
    const aliceInRoom = await TestClient.connect(world, 'a1', user('alice'), 'room:general');
    const aliceElsewhere = await TestClient.connect(world, 'a2', user('alice'), 'room:other');
    const bob = await TestClient.connect(world, 'b', user('bob'), 'room:general');
    const anon = await TestClient.connect(world, 'x', anonymous, 'room:general');

    const res = await call(
      world,
      roomMessageOperation,
      service,
      { message: 'just you', target_user: 'alice' },
      { room: 'general' },
    );

    expect(res.body).toEqual({ id: 'msg-000001', recipients: 1, status: 'delivered', delivered: 1, gone: 0 });
    expect(aliceInRoom.received()).toEqual([
      {
        type: 'api_message',
        channel: 'room:general',
        id: 'msg-000001',
        timestamp: T,
        message: 'just you',
        sender: { id: 'svc', username: 'Billing' },
      },
    ]);
    for (const other of [aliceElsewhere, bob, anon]) expect(other.received()).toEqual([]);
    expect(world.messages.histories.get('room:general')).toBeUndefined();
  });

  it('removes a targeted connection that turns out to be gone', async () => {
    const world = fakeWorld();
    await TestClient.connect(world, 'a1', user('alice'), 'room:general');
    world.gateway.gone.add('a1');
    world.clock.advance(60_000); // long past its $connect: gone for good
    const res = await call(
      world,
      roomMessageOperation,
      service,
      { message: 'hi', target_user: 'alice' },
      { room: 'general' },
    );
    expect(res.body).toMatchObject({ recipients: 1, delivered: 0 });
    expect(await world.connections.get('a1')).toBeNull();
  });

  it.each([
    [{ message: 'x'.repeat(1001) }, { room: 'r' }, 'MESSAGE_TOO_LONG'],
    [{ message: '' }, { room: 'r' }, 'INVALID_MESSAGE'],
    [{}, { room: 'r' }, 'INVALID_MESSAGE'],
    [{ message: 'hi' }, { room: 'bad room' }, 'INVALID_CHANNEL'],
  ])('refuses %j to %j with %s', async (body, params, code) => {
    await expect(call(fakeWorld(), roomMessageOperation, service, body, params)).rejects.toMatchObject({
      code,
    });
  });
});

describe('POST /v1/locations', () => {
  it('sends location_update to the device and the room, once to a connection on both', async () => {
    const world = fakeWorld({ PRESENCE_ANNOUNCE_MAX: '0' });
    const dashboard = await TestClient.connect(world, 'd', anonymous, 'device:car-1');
    const both = await TestClient.connect(world, 'b', anonymous, 'device:car-1,room:fleet');
    const room = await TestClient.connect(world, 'r', anonymous, 'room:fleet');
    const res = await call(world, locationOperation, service, {
      latitude: 40.7128,
      longitude: -74.006,
      device_id: 'car-1',
      room: 'fleet',
    });
    expect(res).toEqual({
      status: 202,
      body: { id: 'msg-000001', recipients: 3, status: 'delivered', delivered: 3, gone: 0 },
    });
    const fields = {
      type: 'location_update',
      id: 'msg-000001',
      latitude: 40.7128,
      longitude: -74.006,
      device_id: 'car-1',
    };
    expect(dashboard.received()).toEqual([{ ...fields, channel: 'device:car-1', timestamp: T }]);
    expect(both.received()).toEqual([{ ...fields, channel: 'device:car-1', timestamp: T }]);
    expect(room.received()).toEqual([{ ...fields, channel: 'room:fleet', timestamp: T, seq: 1 }]);
  });

  it.each([
    [{ latitude: 91, longitude: 0, device_id: 'd' }],
    [{ latitude: 0, longitude: -180.5, device_id: 'd' }],
    [{ latitude: '1', longitude: 0, device_id: 'd' }],
    [{ latitude: 0, longitude: 0 }],
    [{ latitude: 0, longitude: 0, device_id: 'd/1' }],
  ])('refuses %j with INVALID_MESSAGE', async (body) => {
    await expect(call(fakeWorld(), locationOperation, service, body)).rejects.toMatchObject({
      code: 'INVALID_MESSAGE',
    });
  });
});

describe('GET and POST /v1/counters/{name}', () => {
  it('reads 0 for a counter never changed, then changes it like a frame does, counter_update included', async () => {
    const world = fakeWorld();
    const watcher = await TestClient.connect(world, 'w', anonymous, 'counter:visits');
    expect(await call(world, readCounterOperation, anonymous, undefined, { name: 'visits' })).toEqual({
      status: 200,
      body: { counter: 'visits', value: 0, version: 0 },
    });
    expect(
      await call(
        world,
        changeCounterOperation,
        service,
        { action: 'increment', value: 4 },
        { name: 'visits' },
      ),
    ).toEqual({
      status: 200,
      body: { counter: 'visits', value: 4, version: 1 },
    });
    expect(ofType(watcher, 'counter_update')).toMatchObject([
      { action: 'increment', value: 4, counter: 4, version: 1 },
    ]);
    expect((await call(world, readCounterOperation, anonymous, undefined, { name: 'visits' })).body).toEqual({
      counter: 'visits',
      value: 4,
      version: 1,
    });
  });

  it('refuses a bad change or a bad name', async () => {
    const world = fakeWorld();
    await expect(
      call(world, changeCounterOperation, service, { action: 'increment' }, { name: 'c' }),
    ).rejects.toMatchObject({
      code: 'INVALID_MESSAGE',
    });
    await expect(
      call(world, readCounterOperation, anonymous, undefined, { name: 'a b' }),
    ).rejects.toMatchObject({
      code: 'INVALID_CHANNEL',
    });
  });
});

describe('GET /v1/stats and DELETE /v1/connections/{id}', () => {
  it('reports the totals with a timestamp', async () => {
    const world = fakeWorld();
    await TestClient.connect(world, 'a', user('alice'), 'room:r');
    await TestClient.connect(world, 'b', anonymous, 'room:r');
    expect(await call(world, statsOperation, anonymous)).toEqual({
      status: 200,
      body: { connections: 2, channels: 2, users: 1, timestamp: T },
    });
  });

  it('closes the connection through the Management API and removes it, telling its rooms; 404 once gone', async () => {
    const world = fakeWorld();
    const stays = await TestClient.connect(world, 'stays', anonymous, 'room:r');
    await TestClient.connect(world, 'kicked', user('bob'), 'room:r');
    const admin = user('ops', { scopes: ['realtime:admin'] });

    expect(await call(world, closeConnectionOperation, admin, undefined, { id: 'kicked' })).toEqual({
      status: 204,
    });
    expect(world.gateway.closed).toEqual(['kicked']);
    expect(await world.connections.get('kicked')).toBeNull();
    expect(ofType(stays, 'notification').map((n) => n.event)).toEqual(['user_joined', 'user_left']);

    world.gateway.gone.add('kicked');
    await expect(
      call(world, closeConnectionOperation, admin, undefined, { id: 'kicked' }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('removes a connection whose socket was already gone without $disconnect', async () => {
    const world = fakeWorld();
    await TestClient.connect(world, 'stale', anonymous, 'room:r');
    world.gateway.gone.add('stale');
    const admin = user('ops', { scopes: ['realtime:admin'] });
    expect(await call(world, closeConnectionOperation, admin, undefined, { id: 'stale' })).toEqual({
      status: 204,
    });
    expect(await world.connections.get('stale')).toBeNull();
  });
});
