import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Ack, ChannelEvent, SwitchboardError } from '../../../client/index';
import { setup, tick, useFakeClock } from './setup';

beforeEach(useFakeClock);
afterEach(() => vi.useRealTimers());

/** Settles a promise into a value or the error, for assertions after the clock moved. */
const outcome = <T>(promise: Promise<T>) => {
  const result: { value?: T; error?: SwitchboardError } = {};
  promise.then(
    (value) => {
      result.value = value;
    },
    (error: SwitchboardError) => {
      result.error = error;
    },
  );
  return result;
};

describe('publish', () => {
  it('resolves with the ack (server id, seq, duplicate) and sends the given id', async () => {
    const { sb, server } = setup();
    sb.subscribe('room:a');
    sb.connect();
    await tick();
    const ack = await Promise.all([sb.publish('room:a', { text: 'hi' }, { id: 'msg-1' }), tick()]).then(
      ([a]) => a,
    );
    expect(ack).toEqual({
      id: 'm1',
      ref: 'msg-1',
      channel: 'room:a',
      seq: 1,
      status: 'delivered',
      duplicate: false,
    });
    expect(server.sent('publish')).toEqual([
      { type: 'publish', channel: 'room:a', data: { text: 'hi' }, id: 'msg-1' },
    ]);
  });

  it('says when the server queued the message for its fan-out workers (a large audience)', async () => {
    const { sb, server } = setup();
    server.intercept = (socket, frame) => {
      if (frame.type !== 'publish') return false;
      socket.push({ type: 'ack', id: 'm9', ref: frame.id, channel: 'room:big', seq: 7, status: 'queued' });
      return true;
    };
    sb.connect();
    await tick();
    const result = outcome(sb.publish('room:big', { text: 'hi' }, { id: 'big-1' }));
    await tick();
    expect(result.value).toEqual({
      id: 'm9',
      ref: 'big-1',
      channel: 'room:big',
      seq: 7,
      status: 'queued',
      duplicate: false,
    });
  });

  it('rejects with the PROTOCOL code of the error frame that names its id', async () => {
    const { sb, server } = setup();
    server.intercept = (socket, frame) => {
      if (frame.type !== 'publish') return false;
      socket.push({ type: 'error', code: 'NOT_SUBSCRIBED', message: 'subscribe first', ref: frame.id });
      return true;
    };
    sb.connect();
    await tick();
    const result = outcome(sb.publish('room:b', { text: 'hi' }, { id: 'x1' }));
    await tick();
    expect(result.error).toMatchObject({ name: 'SwitchboardError', code: 'NOT_SUBSCRIBED', ref: 'x1' });
  });

  it('waits in a bounded queue while disconnected: QUEUE_FULL past maxQueued, the rest go out on connect', async () => {
    const { sb, server } = setup({ maxQueued: 2 });
    sb.subscribe('room:a');
    const first = outcome(sb.publish('room:a', { n: 1 }, { id: 'q1' }));
    const second = outcome(sb.publish('room:a', { n: 2 }));
    const third = outcome(sb.publish('room:a', { n: 3 }));
    await tick();
    expect(third.error).toMatchObject({ code: 'QUEUE_FULL' });
    expect(server.sent('publish')).toEqual([]);
    sb.connect();
    await tick(20);
    expect(first.value).toMatchObject({ ref: 'q1', seq: 1 });
    expect(second.value?.ref).toMatch(/^[0-9a-f-]{36}$/);
    // The subscribe was confirmed before the queued publishes went out (a room refuses NOT_SUBSCRIBED).
    expect(server.received.map((r) => r.frame.type)).toEqual(['hello', 'subscribe', 'publish', 'publish']);
  });

  it('sends a publish whose connection dropped before its ack again with the same id: delivered once', async () => {
    const { sb, server } = setup({ random: () => 0 });
    const room = sb.subscribe('room:a');
    const got: ChannelEvent[] = [];
    room.on('publication', (e) => got.push(e));
    sb.connect();
    await tick();
    // The server stores and delivers the publish, but the connection dies before the ack leaves.
    server.intercept = (socket, frame) => {
      if (frame.type !== 'publish') return false;
      server.answer(socket, frame);
      socket.drop();
      return true;
    };
    const result = outcome(sb.publish('room:a', { text: 'once' }, { id: 'p-1' }));
    await tick(5);
    expect(result.value).toBeUndefined();
    server.intercept = undefined;
    await tick(600);
    expect(result.value).toMatchObject({ ref: 'p-1', seq: 1, duplicate: true } satisfies Partial<Ack>);
    expect(server.sent('publish').map((f) => f.id)).toEqual(['p-1', 'p-1']);
    // The publication reached the subscriber once: by replay after the reconnect.
    expect(got.map((e) => e.seq)).toEqual([1]);
    expect(server.channel('room:a').history).toHaveLength(1);
  });

  it('sends a publish again after retry_after_ms while the server says its first attempt is in progress', async () => {
    const { sb, server } = setup();
    sb.subscribe('room:a');
    sb.connect();
    await tick();
    let busy = 2;
    server.intercept = (socket, frame) => {
      if (frame.type !== 'publish' || busy-- <= 0) return false;
      socket.push({
        type: 'error',
        code: 'IDEMPOTENCY_KEY_IN_USE',
        message: 'in progress',
        ref: frame.id,
        retry_after_ms: 300,
      });
      return true;
    };
    const errors: SwitchboardError[] = [];
    sb.on('error', (e) => errors.push(e));
    const result = outcome(sb.publish('room:a', { text: 'once' }, { id: 'p-1' }));
    await tick(290);
    expect(server.sent('publish')).toHaveLength(1);
    expect(result.value).toBeUndefined();
    await tick(20);
    expect(server.sent('publish')).toHaveLength(2);
    await tick(400);
    expect(server.sent('publish').map((f) => f.id)).toEqual(['p-1', 'p-1', 'p-1']);
    expect(result.value).toMatchObject({ ref: 'p-1', seq: 1, duplicate: false } satisfies Partial<Ack>);
    expect(errors).toEqual([]);
  });

  it('rejects TIMEOUT when no ack comes within timeoutMs', async () => {
    const { sb, server } = setup({ timeoutMs: 2_000 });
    server.intercept = (_socket, frame) => frame.type === 'publish';
    sb.connect();
    await tick();
    const result = outcome(sb.publish('room:a', {}, { id: 'lost' }));
    await tick(1_990);
    expect(result.error).toBeUndefined();
    await tick(20);
    expect(result.error).toMatchObject({ code: 'TIMEOUT', ref: 'lost' });
  });

  it('rejects waiting publishes CLOSED on close(), and any publish after it', async () => {
    const { sb } = setup();
    const waiting = outcome(sb.publish('room:a', {}));
    sb.close();
    const after = outcome(sb.publish('room:a', {}));
    await tick();
    expect(waiting.error?.code).toBe('CLOSED');
    expect(after.error?.code).toBe('CLOSED');
  });
});

describe('send (raw frames, for the console)', () => {
  it('sends text as is on the current connection, and says false when there is none', async () => {
    const { sb, server } = setup();
    expect(sb.send({ type: 'ping' })).toBe(false);
    sb.connect();
    await tick();
    const traced: string[] = [];
    sb.on('frame', (f) => traced.push(`${f.direction} ${f.text}`));
    expect(sb.send('{"type":"ping","timestamp":"t"}')).toBe(true);
    await tick();
    expect(traced).toEqual(['out {"type":"ping","timestamp":"t"}', 'in {"type":"pong","timestamp":"t"}']);
    expect(server.sent('ping')).toHaveLength(1);
  });
});
