import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Switchboard } from '../../../client/index';
import { setup, tick, useFakeClock, WS_URL } from './setup';

beforeEach(useFakeClock);
afterEach(() => vi.useRealTimers());

describe('the state machine', () => {
  it('goes disconnected → connecting → connected, saying hello first', async () => {
    const { sb, server, states, connected } = setup();
    expect(sb.state).toBe('disconnected');
    sb.connect();
    expect(sb.state).toBe('connecting');
    await tick();
    expect(sb.state).toBe('connected');
    expect(states.map((s) => s.state)).toEqual(['connecting', 'connected']);
    expect(server.received[0]?.frame).toEqual({ type: 'hello' });
    expect(connected).toEqual([{ connection_id: 'c1', user_id: null, channels: [], cause: 'connect' }]);
  });

  it('reconnects after a drop, within the first backoff window, and says why', async () => {
    const { sb, server, states, connected } = setup({ random: () => 0.5 });
    sb.connect();
    await tick();
    server.last.drop();
    expect(sb.state).toBe('connecting');
    expect(states.at(-1)).toMatchObject({ state: 'connecting', previous: 'connected', code: 1006 });
    // Attempt 0 waits 500 + 0.5 × 500 = 750 ms (random 0.5).
    await tick(740);
    expect(server.sockets).toHaveLength(1);
    await tick(20);
    expect(server.sockets).toHaveLength(2);
    await tick();
    expect(sb.state).toBe('connected');
    expect(connected.map((c) => c.cause)).toEqual(['connect', 'reconnect']);
  });

  it('keeps retrying a network failure with growing delays capped at 20 s', async () => {
    const { sb, server } = setup({ random: () => 0.999_999 });
    server.refuse = 502;
    server.hideStatus = true;
    server.httpDown = true;
    sb.connect();
    const opened: number[] = [];
    for (let i = 0; i < 10; i++) {
      const before = server.sockets.length;
      const start = Date.now();
      while (server.sockets.length === before) await tick(100);
      opened.push(Date.now() - start);
    }
    expect(sb.state).toBe('connecting');
    // The first attempt is immediate; then the windows' tops: 1 s, 1.5 s, 2.5 s, 4.5 s, 8.5 s, 16.5 s, 20 s…
    const waits = opened.slice(1).map((ms) => Math.round(ms / 100) / 10);
    expect(waits.slice(0, 6)).toEqual([1, 1.5, 2.5, 4.5, 8.5, 16.5]);
    expect(Math.max(...waits)).toBeLessThanOrEqual(20.1);
    expect(waits.slice(6).every((w) => w >= 19.9)).toBe(true);
  });

  it('close() ends everything: state closed, socket closed, no reconnect, connect() refused', async () => {
    const { sb, server, states } = setup();
    sb.connect();
    await tick();
    sb.close();
    expect(sb.state).toBe('closed');
    expect(states.at(-1)).toMatchObject({ state: 'closed', previous: 'connected', code: 1000 });
    await tick(60_000);
    expect(server.sockets).toHaveLength(1);
    expect(server.last.readyState).toBe(3);
    expect(() => sb.connect()).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });

  it('rejects options it does not know, and URLs that are not ws:// or wss://', () => {
    expect(() => new Switchboard(WS_URL, { pingInterval: 5 } as never)).toThrow(
      'unknown option(s): pingInterval',
    );
    expect(() => new Switchboard('http://localhost:8080/local', {})).toThrow('not a ws:// or wss:// URL');
  });

  it('derives the HTTP API from the WebSocket URL unless told', () => {
    const { server } = setup();
    expect(new Switchboard('wss://abc.example.com/prod', { WebSocket: server.WebSocket }).httpUrl).toBe(
      'https://abc.example.com',
    );
    expect(
      new Switchboard(WS_URL, { WebSocket: server.WebSocket, httpUrl: 'https://api.example.com/' }).httpUrl,
    ).toBe('https://api.example.com');
  });
});

describe('failures that are not the network', () => {
  it('getToken failing is reported TOKEN and retried with backoff', async () => {
    let calls = 0;
    const { sb, server, errors } = setup({
      getToken: () => {
        if (++calls === 1) throw new Error('identity provider down');
        return 'token';
      },
    });
    sb.connect();
    await tick();
    expect(errors.map((e) => [e.code, e.message])).toEqual([
      ['TOKEN', 'getToken failed: identity provider down'],
    ]);
    expect(server.sockets).toHaveLength(0);
    await tick(600);
    expect(sb.state).toBe('connected');
    expect(server.last.token).toBe('token');
  });

  it('a WebSocket that cannot be created stops the client with TRANSPORT', async () => {
    class Forbidden {
      constructor() {
        throw new Error('insecure WebSocket from an https page');
      }
    }
    const { sb, errors } = setup({ WebSocket: Forbidden as never });
    sb.connect();
    await tick(60_000);
    expect(sb.state).toBe('disconnected');
    expect(errors.map((e) => e.code)).toEqual(['TRANSPORT']);
  });

  it('a listener that throws does not break the client, and its error is not swallowed', async () => {
    const { sb, server } = setup();
    const thrown: unknown[] = [];
    const onUncaught = (error: unknown) => thrown.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      sb.on('connected', () => {
        throw new Error('bug in the app');
      });
      const room = sb.subscribe('room:a');
      const seqs: (number | undefined)[] = [];
      room.on('publication', (e) => seqs.push(e.seq));
      sb.connect();
      await tick();
      server.publish('room:a', { type: 'api_message', message: 'x' });
      await tick();
      expect(seqs).toEqual([1]);
      expect(sb.state).toBe('connected');
      // Not swallowed either: rethrown on its own, where the app's error reporting sees it.
      expect(thrown).toEqual([expect.objectContaining({ message: 'bug in the app' })]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});

describe('refused handshakes', () => {
  it('a 401 calls getToken again once, then stops: disconnected, REFUSED, no loop', async () => {
    let tokens = 0;
    const { sb, server, errors } = setup({ getToken: () => `token-${++tokens}` });
    server.refuse = 401;
    sb.connect();
    await tick(5_000);
    expect(sb.state).toBe('disconnected');
    expect(errors.map((e) => [e.code, e.status])).toEqual([['REFUSED', 401]]);
    expect(server.sockets.map((s) => s.token)).toEqual(['token-1', 'token-2']);
    await tick(120_000);
    expect(server.sockets).toHaveLength(2);
  });

  it('a fresh token after a refusal connects (an expired token is not the end)', async () => {
    const { sb, server } = setup({ getToken: () => (server.sockets.length === 0 ? 'expired' : 'fresh') });
    server.refuse = 401;
    sb.connect();
    await tick(2);
    expect(server.last.readyState).toBe(3);
    server.refuse = undefined;
    await tick(2_000);
    expect(sb.state).toBe('connected');
    expect(server.sockets.map((s) => s.token)).toEqual(['expired', 'fresh']);
    expect(server.open.map((s) => s.token)).toEqual(['fresh']);
  });

  it('in a browser (no status) tells a refusal from a network failure by asking the same host over HTTP', async () => {
    const { sb, server, errors } = setup();
    server.refuse = 403;
    server.hideStatus = true;
    sb.connect();
    await tick(5_000);
    expect(sb.state).toBe('disconnected');
    expect(errors.map((e) => e.code)).toEqual(['REFUSED']);
    // The probe went to the WebSocket's own host, over HTTP.
    expect(server.httpRequests).toEqual(['http://switchboard.test/local', 'http://switchboard.test/local']);
  });

  it('a 429 (too many connections) is retried, not taken for a refusal', async () => {
    const { sb, server } = setup();
    server.refuse = 429;
    sb.connect();
    await tick(10_000);
    expect(sb.state).toBe('connecting');
    expect(server.sockets.length).toBeGreaterThan(3);
    server.refuse = undefined;
    await tick(30_000);
    expect(sb.state).toBe('connected');
  });
});

describe('heartbeats', () => {
  it('pings at idleTimeoutMs / 4 by default and keeps an answering connection', async () => {
    const { sb, server } = setup();
    sb.connect();
    await tick();
    await tick(150_000);
    expect(server.sent('ping')).toHaveLength(1);
    await tick(150_000 * 3);
    expect(server.sent('ping')).toHaveLength(4);
    expect(server.sockets).toHaveLength(1);
    expect(sb.state).toBe('connected');
  });

  it('replaces a connection that does not answer a ping within pongTimeoutMs', async () => {
    const { sb, server, states } = setup({ pingIntervalMs: 30_000, pongTimeoutMs: 5_000 });
    sb.connect();
    await tick();
    const first = server.last;
    first.mute = true; // half-open: what the client sends vanishes, nothing comes back
    await tick(30_000);
    expect(server.sent('ping')).toHaveLength(0);
    await tick(4_980);
    expect(sb.state).toBe('connected');
    await tick(40);
    expect(states.at(-1)).toMatchObject({ state: 'connecting', code: 4000, reason: 'no pong' });
    await tick(1_100);
    expect(sb.state).toBe('connected');
    expect(server.sockets).toHaveLength(2);
    expect(first.readyState).toBeGreaterThanOrEqual(2);
  });

  it('gives up on a handshake that never gets connection.established within timeoutMs', async () => {
    const { sb, server } = setup({ timeoutMs: 3_000 });
    server.intercept = (_socket, frame) => frame.type === 'hello';
    sb.connect();
    await tick(2_990);
    expect(server.sockets).toHaveLength(1);
    await tick(1_100);
    expect(server.sockets).toHaveLength(2);
    expect(sb.state).toBe('connecting');
  });
});
