import { describe, expect, it } from 'vitest';
import { dialects } from '../../../shared/app/dialects';
import { frameRouter } from '../../../shared/app/websocket';
import { afterConnect } from '../../../shared/core/after-connect';
import type { Principal } from '../../../shared/core/auth/principal';
import { connect } from '../../../shared/core/connections';
import type { Dialect } from '../../../shared/core/dialect';
import type { ServerFrame } from '../../../shared/core/protocol';
import { handleFrame } from '../../../shared/core/session/frames';
import { roomsOperations } from '../../../shared/features/rooms/push';
import { type FakeWorld, fakeWorld } from '../../support/fakes';
import { call } from '../../support/operations';
import { seed002DeviceStatus, seed002SensorDataUpdate } from '../../support/seed-examples';
import { anonymous, TestClient, user } from '../../support/world';

/**
 * The seed dialects (shared/app/dialects/), field for field against the examples of the seed documents
 * (../shared/seeds/ 000–004, quoted here with the section they come from): each native frame, carrying the
 * example's values, renders as exactly the example.
 */
const T = '2025-01-27T12:30:45.123456';
const dialect = (name: string): Dialect => {
  const d = dialects[name];
  if (!d) throw new Error(`no dialect ${name}`);
  return d;
};
const render = (name: string, frame: ServerFrame) => dialect(name).render(frame);
const envelope = (channel: string) => ({ channel, id: '01JDX0000000000000000000', timestamp: T, seq: 7 });

describe('seed dialects: the native frames in the seed documents’ shapes', () => {
  it('000: {"message": {...}} envelopes for api_message, location_update, live_stats ("Message Types")', () => {
    const ts = '2025-12-08T10:30:00';
    const at = { ...envelope('room:general'), timestamp: ts };
    expect(
      render('seed000.test', {
        type: 'api_message',
        ...at,
        message: 'Hello from REST API!',
        sender: { id: '1', username: 'username' },
      }),
    ).toEqual({
      message: {
        content: 'Hello from REST API!',
        sender: 'username',
        sender_id: 1,
        type: 'api_message',
        timestamp: ts,
      },
    });
    expect(
      render('seed000.test', {
        type: 'location_update',
        ...at,
        latitude: 40.7128,
        longitude: -74.006,
        device_id: 'device_001',
      }),
    ).toEqual({
      message: {
        content: 'Location update from device device_001',
        latitude: 40.7128,
        longitude: -74.006,
        device_id: 'device_001',
        type: 'location_update',
        timestamp: ts,
      },
    });
    const stats = { connections: 12, channels: 5, users: 8, timestamp: ts, formatted_time: '10:30:00' };
    expect(render('seed000.test', { type: 'live_stats', ...at, stats })).toEqual({
      message: { content: 'Live system update', type: 'live_stats', stats },
    });
    expect(render('seed000.test', { type: 'ack', id: 'x', channel: 'room:general' })).toBeNull();
  });

  it('001 chat: chat_message and the join/leave notifications ("1. Chat Consumer")', () => {
    expect(
      render('seed001.chat', {
        type: 'chat_message',
        ...envelope('room:general'),
        message: 'Hello everyone!',
        username: 'john_doe',
        sender: null,
      }),
    ).toEqual({ type: 'chat_message', message: 'Hello everyone!', username: 'john_doe', timestamp: T });
    for (const [event, message] of [
      ['user_joined', 'A user joined the room'],
      ['user_left', 'A user left the room'],
    ]) {
      expect(
        render('seed001.chat', {
          type: 'notification',
          ...envelope('room:general'),
          event,
          message,
          user: null,
        }),
      ).toEqual({ type: 'notification', message, event });
    }
    expect(
      render('seed001.chat', { type: 'error', code: 'INVALID_JSON', message: 'Invalid JSON format' }),
    ).toEqual({ type: 'error', message: 'Invalid JSON format' });
  });

  it('001 notifications: notification {title, message, priority, timestamp} ("2. Notification Consumer")', () => {
    expect(
      render('seed001.notifications', {
        type: 'notification',
        ...envelope('user:123'),
        title: 'New Message',
        message: 'You have a new message from John',
        priority: 'normal',
      }),
    ).toEqual({
      type: 'notification',
      title: 'New Message',
      message: 'You have a new message from John',
      priority: 'normal',
      timestamp: T,
    });
  });

  it('001 counter: counter_update, its greeting with the total, user_count_update ("3. Counter Consumer")', () => {
    const name = 'seed001.counter';
    expect(
      render(name, {
        type: 'counter_update',
        ...envelope('counter:global'),
        action: 'increment',
        value: 1,
        counter: 4,
        version: 9,
      }),
    ).toEqual({ type: 'counter_update', action: 'increment', value: 1, timestamp: T });
    expect(
      render(name, {
        type: 'counter_update',
        ...envelope('counter:global'),
        action: 'sync',
        value: 0,
        counter: 0,
      }),
    ).toEqual({ type: 'counter_update', counter: 0, message: 'Connected to counter' });
    expect(render(name, { type: 'user_count_update', ...envelope('counter:global'), count: 3 })).toEqual({
      type: 'user_count_update',
      count: 3,
    });
  });

  it('002: sensor_data_update and device_status, whole-number ids as numbers ("Message Format")', () => {
    const ts = '2025-09-11T15:30:00Z';
    for (const name of ['seed002.sensor-data', 'seed002.device', 'seed002.sensor']) {
      expect(
        render(name, {
          type: 'sensor_data_update',
          ...envelope('sensors'),
          timestamp: ts,
          sensor_id: '1',
          sensor_type: 'temperature',
          device_id: '1',
          device_name: 'Hydroponic System 1',
          value: 25.5,
          unit: 'celsius',
        }),
      ).toEqual(seed002SensorDataUpdate(ts));
      expect(
        render(name, {
          type: 'device_status',
          ...envelope('sensors'),
          timestamp: ts,
          device_id: '1',
          device_name: 'Hydroponic System 1',
          status: 'active',
        }),
      ).toEqual(seed002DeviceStatus(ts));
    }
    expect(
      render('seed002.sensor', { type: 'error', code: 'NOT_FOUND', message: 'Error description', ref: 'r' }),
    ).toEqual({ type: 'error', message: 'Error description', code: 'NOT_FOUND' });
  });

  it('003: {type: "message", message: {id, chat, sender, content, timestamp}} ("Receiving Messages")', () => {
    const ts = '2025-10-14T08:00:00Z';
    const message = {
      id: '01JDX0000000000000000000',
      chat: '1',
      sender: { id: '1', username: 'alice' },
      content: 'Hello everyone! This is a real-time message.',
      timestamp: ts,
      seq: 7,
    };
    expect(render('seed003.chat', { type: 'message', ...envelope('chat:1'), message })).toEqual({
      type: 'message',
      message: {
        id: '01JDX0000000000000000000',
        chat: 1,
        sender: { id: 1, username: 'alice' },
        content: 'Hello everyone! This is a real-time message.',
        timestamp: ts,
      },
    });
    expect(dialect('seed003.chat').parse({ content: 'Your message here' })).toEqual({
      type: 'message',
      content: 'Your message here',
    });
  });

  it('004: notification {notification: {title, body, timestamp, ...}} and event {event_type, data}', () => {
    const ts = '2025-01-15T10:30:00Z';
    expect(
      render('seed004.notifications', {
        type: 'notification',
        ...envelope('user:user-123'),
        timestamp: ts,
        title: 'New Message',
        message: 'You have a new message from John',
        priority: 'normal',
        link: '/messages/456',
      }),
    ).toEqual({
      type: 'notification',
      notification: {
        title: 'New Message',
        body: 'You have a new message from John',
        timestamp: ts,
        priority: 'normal',
        link: '/messages/456',
      },
    });
    const data = { user_id: 'user-456', user_email: 'newuser@example.com', timestamp: ts };
    expect(
      render('seed004.events', {
        type: 'event',
        ...envelope('org:org-123'),
        org_id: 'org-123',
        event_type: 'user.joined',
        data,
      }),
    ).toEqual({ type: 'event', event_type: 'user.joined', data });
    expect(render('seed004.events', { type: 'pong', timestamp: ts })).toEqual({
      type: 'pong',
      timestamp: ts,
    });
  });
});

/** A connection opened through a seed path: $connect with its dialect, then the after-connect work. */
async function seedClient(
  world: FakeWorld,
  id: string,
  marker: string,
  principal: Principal = anonymous,
  channels?: string,
) {
  const result = await connect(world, { connectionId: id, principal, channels, dialect: marker });
  if (!result.ok) throw new Error(`refused: ${result.error.message}`);
  if (result.afterConnect) await afterConnect(world, result.afterConnect);
  return {
    send: async (frame: unknown) =>
      (
        await handleFrame(world, frameRouter(world), {
          connectionId: id,
          principal,
          body: JSON.stringify(frame),
          dialect: world.dialects[marker],
        })
      ).replies.map((r) => JSON.parse(r) as Record<string, unknown>),
    received: () => world.gateway.framesTo(id),
  };
}

describe('seed dialects on a connection', () => {
  it('greets at connect: 001 connection_status, 004 connection.established (with org_id on events), 001 counter total', async () => {
    const world = fakeWorld();
    const n1 = await seedClient(world, 'n1', 'seed001.notifications', user('u1'));
    expect(n1.received()).toEqual([
      {
        type: 'connection_status',
        status: 'connected',
        message: 'Successfully connected to notifications',
        timestamp: expect.any(String),
      },
    ]);
    const n4 = await seedClient(world, 'n4', 'seed004.notifications', user('u4'));
    expect(n4.received()).toEqual([
      { type: 'connection.established', message: 'Connected to notifications', user_id: 'u4' },
    ]);
    const e4 = await seedClient(world, 'e4', 'seed004.events', user('u4', { orgs: ['acme'] }), 'org:acme');
    expect(e4.received()).toEqual([
      {
        type: 'connection.established',
        message: 'Connected to organization acme',
        user_id: 'u4',
        org_id: 'acme',
      },
    ]);
    await world.counters.apply('global', { action: 'increment', value: 5 }, 0);
    const c = await seedClient(world, 'c1', 'seed001.counter', anonymous, 'counter:global');
    expect(c.received()).toEqual([
      { type: 'counter_update', counter: 5, message: 'Connected to counter' },
      { type: 'user_count_update', count: 1 },
    ]);
    // A native connection is told nothing first.
    await TestClient.connect(world, 'native', user('u5'), 'counter:global');
    expect(world.gateway.framesTo('native')).toEqual([]);
  });

  it('takes the seed clients’ frames as sent, answers no ack, and renders each fan-out once per dialect', async () => {
    const base = fakeWorld();
    let renders = 0;
    const counting = (d: Dialect): Dialect => ({
      ...d,
      render: (f) => {
        if (f.type === 'chat_message') renders++;
        return d.render(f);
      },
    });
    const world = {
      ...base,
      dialects: { ...base.dialects, 'seed001.chat': counting(dialect('seed001.chat')) },
    } as FakeWorld;
    const a = await seedClient(world, 'a', 'seed001.chat', anonymous, 'room:general');
    const b = await seedClient(world, 'b', 'seed001.chat', anonymous, 'room:general');
    const native = await TestClient.connect(world, 'n', anonymous, 'room:general');
    renders = 0;
    // Seed 001's client frame, verbatim: no channel, no id.
    expect(await a.send({ type: 'chat_message', message: 'Hello!', username: 'John' })).toEqual([]);
    const seedFrame = {
      type: 'chat_message',
      message: 'Hello!',
      username: 'John',
      timestamp: expect.any(String),
    };
    expect(a.received().at(-1)).toEqual(seedFrame);
    expect(b.received().at(-1)).toEqual(seedFrame);
    expect(native.received().at(-1)).toMatchObject({ type: 'chat_message', channel: 'room:general', seq: 1 });
    expect(renders).toBe(1); // one fan-out to two 001 connections: rendered once
    // Errors in the seed's shape.
    expect(await a.send({ type: 'chat_message', message: 'x'.repeat(1001) })).toEqual([
      { type: 'error', message: expect.stringContaining('1000') },
    ]);
  });

  it('003 {content} and 001 {action, value} land on the connection’s own chat and counter', async () => {
    const world = fakeWorld();
    await world.chats.create({ id: '1', participants: ['1', '2'], createdAt: 0, createdBy: '1' });
    const alice = await seedClient(world, 'al', 'seed003.chat', user('1', { username: 'alice' }), 'chat:1');
    expect(await alice.send({ content: 'Hello from Python!' })).toEqual([]);
    expect(alice.received().at(-1)).toEqual({
      type: 'message',
      message: {
        id: expect.any(String),
        chat: 1,
        sender: { id: 1, username: 'alice' },
        content: 'Hello from Python!',
        timestamp: expect.any(String),
      },
    });
    const c = await seedClient(world, 'cc', 'seed001.counter', anonymous, 'counter:global');
    expect(await c.send({ action: 'increment', value: 1 })).toEqual([]);
    expect(c.received().at(-1)).toEqual({
      type: 'counter_update',
      action: 'increment',
      value: 1,
      timestamp: expect.any(String),
    });
  });

  it('000: a push to one user (target_user) reaches its seed page in the envelope, its native one as is', async () => {
    const world = fakeWorld();
    const page = await seedClient(world, 'page', 'seed000.test', user('7'), 'room:general');
    const native = await TestClient.connect(world, 'app', user('7'), 'room:general');
    const pushed = await call(
      roomsOperations(world).roomMessage,
      user('svc', { scopes: ['realtime:publish'] }),
      {
        params: { room: 'general' },
        body: { message: 'Hello from REST API!', target_user: '7' },
      },
    );
    expect(pushed.status).toBe(202);
    expect(page.received().slice(-1)).toEqual([
      {
        message: {
          content: 'Hello from REST API!',
          sender: 'svc',
          sender_id: 'svc',
          type: 'api_message',
          timestamp: expect.any(String),
        },
      },
    ]);
    expect(native.received()).toEqual([
      expect.objectContaining({
        type: 'api_message',
        channel: 'room:general',
        message: 'Hello from REST API!',
      }),
    ]);
  });

  it('refuses a dialect it does not know, at the handshake (400)', async () => {
    const world = fakeWorld();
    const result = await connect(world, { connectionId: 'x', principal: anonymous, dialect: 'seed009.chat' });
    expect(result).toMatchObject({ ok: false, status: 400 });
  });
});
