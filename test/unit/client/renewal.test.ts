import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChannelEvent } from '../../../client/index';
import { FakeServer, fakeJwt } from './fake-server';
import { setup, tick, useFakeClock } from './setup';

beforeEach(useFakeClock);
afterEach(() => vi.useRealTimers());

const seqs = (events: ChannelEvent[]) => events.map((e) => e.seq);

describe('make-before-break before the connection lifetime', () => {
  it('opens the next connection half the lifetime early (a short one), resubscribes with since, then closes the old one', async () => {
    const { sb, server, connected } = setup({ maxLifetimeMs: 10_000 });
    server.latencyMs = 20; // a round trip of 40 ms: room to watch the overlap
    const room = sb.subscribe('room:a');
    const got: ChannelEvent[] = [];
    room.on('publication', (e) => got.push(e));
    sb.connect();
    await tick(200);
    const first = server.last;
    server.publish('room:a', { type: 'api_message', message: 'one' });
    server.publish('room:a', { type: 'api_message', message: 'two' });
    // Opened at 20 ms: replaced from 5,020 ms on (10 s less half).
    await tick(4_810);
    expect(server.sockets).toHaveLength(1);
    await tick(20);
    expect(server.sockets).toHaveLength(2);
    const second = server.last;

    // The replacement says hello and subscribes at once with since = the last seq seen; the old one stays
    // open (and keeps delivering) until the new subscription is confirmed.
    server.intercept = (socket, frame) => {
      if (socket !== second || frame.type !== 'subscribe') return false;
      expect(frame).toMatchObject({ channel: 'room:a', since: 2 });
      server.publish('room:a', { type: 'api_message', message: 'during the overlap' });
      return false;
    };
    await tick(30);
    expect(server.received.filter((r) => r.socket === second).map((r) => r.frame.type)).toEqual([
      'hello',
      'subscribe',
    ]);
    expect(first.readyState).toBe(1);
    await tick(200);
    expect(first.readyState).toBe(3);
    expect(connected.map((c) => [c.connection_id, c.cause])).toEqual([
      ['c1', 'connect'],
      ['c2', 'lifetime'],
    ]);
    server.publish('room:a', { type: 'api_message', message: 'after' });
    await tick(100);
    // The overlap's message reached both connections (live on the old, replayed on the new): once here.
    expect(seqs(got)).toEqual([1, 2, 3, 4]);
    expect(sb.state).toBe('connected');
  });

  it('puts a subscription made during the replacement on the new connection before it takes over', async () => {
    const { sb, server, connected } = setup({ maxLifetimeMs: 10_000 });
    server.latencyMs = 20;
    sb.connect();
    await tick(200);
    await tick(4_830); // the replacement is opening
    expect(server.sockets).toHaveLength(2);
    const second = server.last;
    const late = sb.subscribe('room:late');
    await tick(300);
    expect(connected.map((c) => c.connection_id)).toEqual(['c1', 'c2']);
    expect(second.channels.has('room:late')).toBe(true);
    expect(late.state).toBe('subscribed');
  });

  it('never lets the server end it: connection after connection, each replaced before its lifetime', async () => {
    const { sb, server, states } = setup({ maxLifetimeMs: 3_000 });
    sb.subscribe('room:a');
    sb.connect();
    for (let i = 0; i < 20; i++) await tick(1_000);
    // 20 s of 3-second connections, each replaced at 1.5 s; the state never left connected.
    expect(server.sockets.length).toBeGreaterThanOrEqual(8);
    expect(states.map((s) => s.state)).toEqual(['connecting', 'connected']);
    expect(server.open).toHaveLength(1);
  });

  it('falls back to a reconnect when the replacement fails and the old connection ends first', async () => {
    const { sb, server, connected } = setup({ maxLifetimeMs: 10_000 });
    sb.subscribe('room:a');
    sb.connect();
    await tick();
    const first = server.last;
    server.refuse = 502;
    await tick(8_000);
    expect(server.sockets.length).toBeGreaterThanOrEqual(2);
    expect(server.open).toEqual([first]);
    first.serverClose(1001);
    server.refuse = undefined;
    await tick(3_000);
    expect(sb.state).toBe('connected');
    expect(connected.map((c) => c.cause)).toEqual(['connect', 'reconnect']);
  });
});

describe('token refresh', () => {
  it('calls getToken for every connection and replaces the connection before the token expires', async () => {
    const tokens: string[] = [];
    const getToken = () => {
      const token = fakeJwt({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 600 });
      tokens.push(token);
      return token;
    };
    const { sb, server, connected } = setup({ getToken });
    const inbox = sb.subscribe('room:a');
    const got: ChannelEvent[] = [];
    inbox.on('publication', (e) => got.push(e));
    sb.connect();
    await tick();
    expect(server.last.token).toBe(tokens[0]);

    // A 10-minute token: replaced a minute (min(60 s, 600 s / 2)) before it expires.
    await tick(540_000 - 100);
    expect(server.sockets).toHaveLength(1);
    server.publish('room:a', { type: 'api_message', message: 'before' });
    await tick(200);
    expect(server.sockets).toHaveLength(2);
    expect(server.last.token).toBe(tokens[1]);
    expect(tokens[1]).not.toBe(tokens[0]);
    expect(connected.at(-1)?.cause).toBe('token');
    expect(server.sockets[0]?.readyState).toBeGreaterThanOrEqual(2);
    server.publish('room:a', { type: 'api_message', message: 'after' });
    await tick();
    expect(seqs(got)).toEqual([1, 2]);
  });

  it('reads no expiry from an opaque token and renews only for the lifetime', async () => {
    const { sb, server } = setup({ getToken: () => 'opaque', maxLifetimeMs: 3_600_000 });
    sb.connect();
    await tick();
    await tick(3_540_000 - 100);
    expect(server.sockets).toHaveLength(1);
    await tick(200);
    expect(server.sockets).toHaveLength(2);
  });

  it('uses the current token for HTTP calls', async () => {
    const token = fakeJwt({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 3600 });
    const server = new FakeServer();
    const fetch = vi.fn(server.fetch);
    const { sb } = setup({ getToken: () => token, WebSocket: server.WebSocket, fetch });
    sb.connect();
    await tick();
    await sb.presence('room:a');
    await sb.history('room:a', { since: 0, limit: 10 });
    const calls = fetch.mock.calls.map(([, init]) => init?.headers?.authorization);
    expect(calls).toEqual([`Bearer ${token}`, `Bearer ${token}`]);
    expect(fetch.mock.calls.map(([url]) => url)).toEqual([
      'http://switchboard.test/v1/channels/room%3Aa/presence',
      'http://switchboard.test/v1/channels/room%3Aa/history?since=0&limit=10',
    ]);
  });
});
