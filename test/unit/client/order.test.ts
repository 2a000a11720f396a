import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChannelEvent, Subscribed, SwitchboardError } from '../../../client/index';
import { setup, tick, useFakeClock } from './setup';

beforeEach(useFakeClock);
afterEach(() => vi.useRealTimers());

/** A connected client subscribed to one channel, with what its subscription emits. */
async function subscribed(channel = 'room:a', options: Parameters<typeof setup>[0] = {}) {
  const ctx = setup(options);
  const sub = ctx.sb.subscribe(channel);
  const got: ChannelEvent[] = [];
  const errors: SwitchboardError[] = [];
  const confirmations: Subscribed[] = [];
  sub.on('publication', (e) => got.push(e));
  sub.on('error', (e) => errors.push(e));
  sub.on('subscribed', (s) => confirmations.push(s));
  ctx.sb.connect();
  await tick();
  return { ...ctx, sub, got, errors, confirmations, socket: ctx.server.last };
}

describe('each message once, in seq order', () => {
  it('puts frames that arrive out of order back in order, without asking history', async () => {
    const { server, socket, got } = await subscribed();
    const frames = [1, 2, 3, 4].map((n) => server.publish('room:a', { message: n }, { deliver: false }));
    for (const i of [1, 0, 3, 2]) socket.push(frames[i] as Record<string, unknown>);
    await tick(5);
    expect(got.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(server.httpRequests).toEqual([]);
  });

  it('drops repeats: a seq already delivered, a frame without seq whose id was seen', async () => {
    const { server, socket, got } = await subscribed();
    const frame = server.publish('room:a', { message: 'x' });
    await tick();
    socket.push(frame);
    socket.push(frame);
    await tick();
    expect(got.map((e) => e.id)).toEqual([frame.id]);

    const live = await subscribed('live');
    const stats = live.server.publish('live', { type: 'live_stats' });
    live.socket.push(stats);
    await tick();
    expect(live.got.map((e) => [e.id, e.seq])).toEqual([[stats.id, undefined]]);
  });

  it('fills a gap from HTTP history after gapWaitMs, and delivers what waited behind it in order', async () => {
    const { server, socket, got } = await subscribed('room:a', { gapWaitMs: 500 });
    const frames = [1, 2, 3, 4, 5].map((n) => server.publish('room:a', { message: n }, { deliver: false }));
    socket.push(frames[0] as Record<string, unknown>);
    socket.push(frames[3] as Record<string, unknown>);
    socket.push(frames[4] as Record<string, unknown>);
    await tick(400);
    expect(got.map((e) => e.seq)).toEqual([1]);
    expect(server.httpRequests).toEqual([]);
    await tick(200);
    expect(server.httpRequests).toEqual([
      'http://switchboard.test/v1/channels/room%3Aa/history?since=1&limit=100',
    ]);
    expect(got.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('reports what history cannot fill as MESSAGES_LOST, after a few reads, and goes on', async () => {
    const { server, socket, got, errors } = await subscribed('room:a', { gapWaitMs: 500 });
    const frames = [1, 2, 3, 4].map((n) => server.publish('room:a', { message: n }, { deliver: false }));
    // Seq 2 and 3 were trimmed from history.
    server.channel('room:a').history.splice(1, 2);
    socket.push(frames[0] as Record<string, unknown>);
    socket.push(frames[3] as Record<string, unknown>);
    await tick(2_000);
    expect(got.map((e) => e.seq)).toEqual([1]);
    await tick(500);
    expect(got.map((e) => e.seq)).toEqual([1, 4]);
    expect(errors.map((e) => [e.code, e.lost])).toEqual([['MESSAGES_LOST', [2, 3]]]);
    expect(server.httpRequests).toHaveLength(4);
    const next = server.publish('room:a', { message: 5 });
    await tick();
    expect(got.map((e) => e.seq)).toEqual([1, 4, next.seq]);
  });

  it('skips a void marker (a seq whose publish died) wherever it comes from: never delivered, nothing lost', async () => {
    const { server, socket, got, errors, sb } = await subscribed('room:a', { gapWaitMs: 500 });
    server.publish('room:a', { message: 1 });
    server.publish('room:a', { type: 'void' }, { deliver: false }); // seq 2, only in history
    server.publish('room:a', { message: 3 });
    await tick(2_000); // the gap at 2 is filled from HTTP history: the marker
    expect(got.map((e) => e.seq)).toEqual([1, 3]);
    expect(server.httpRequests).toHaveLength(1);
    socket.drop();
    server.publish('room:a', { type: 'void' }, { deliver: false }); // seq 4, in the replay
    server.publish('room:a', { message: 5 }, { deliver: false });
    await tick(1_100);
    expect(server.sent('subscribe').map((f) => f.since)).toEqual([undefined, 3]);
    expect(got.map((e) => [e.seq, e.type])).toEqual([
      [1, 'publication'],
      [3, 'publication'],
      [5, 'publication'],
    ]);
    expect(errors).toEqual([]);
    expect(sb.getSubscription('room:a')?.seq).toBe(5);
  });

  it('starts a new subscription at subscribed.seq: older frames that race the answer are not delivered', async () => {
    const { server, sb } = await subscribed('room:other');
    for (const n of [1, 2]) server.publish('room:b', { message: n });
    server.intercept = (socket, frame) => {
      if (frame.type !== 'subscribe') return false;
      // A live frame of seq 2 overtakes the answer (subscribed seq 2): it is before the start.
      socket.push(server.channel('room:b').history[1] as Record<string, unknown>);
      for (const reply of server.answer(socket, frame)) socket.push(reply);
      return true;
    };
    const sub = sb.subscribe('room:b');
    const got: ChannelEvent[] = [];
    sub.on('publication', (e) => got.push(e));
    await tick();
    expect(sub.seq).toBe(2);
    server.publish('room:b', { message: 3 });
    await tick();
    expect(got.map((e) => e.seq)).toEqual([3]);
  });

  it('after a reconnect subscribes with since = the last seq and gets the missed ones by replay', async () => {
    const { server, socket, got, confirmations } = await subscribed();
    server.publish('room:a', { message: 1 });
    await tick();
    socket.drop();
    server.publish('room:a', { message: 2 });
    server.publish('room:a', { message: 3 });
    await tick(1_100);
    expect(server.sent('subscribe').map((f) => f.since)).toEqual([undefined, 1]);
    expect(confirmations).toEqual([
      { channel: 'room:a', seq: 0 },
      { channel: 'room:a', seq: 3, recovered: true },
    ]);
    expect(got.map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it('subscribe({ since }) recovers history from there', async () => {
    const { server, sb } = await subscribed('room:other');
    for (const n of [1, 2, 3]) server.publish('room:c', { message: n });
    const sub = sb.subscribe('room:c', { since: 1 });
    const got: ChannelEvent[] = [];
    sub.on('publication', (e) => got.push(e));
    await tick();
    expect(got.map((e) => e.seq)).toEqual([2, 3]);
  });
});

describe('subscriptions', () => {
  it('a refused subscribe ends the subscription with the server code', async () => {
    const { server, sb } = await subscribed('room:other');
    server.intercept = (socket, frame) => {
      if (frame.type !== 'subscribe') return false;
      socket.push({ type: 'error', code: 'FORBIDDEN', message: 'not a member', ref: frame.id });
      return true;
    };
    const sub = sb.subscribe('org:acme');
    const events: string[] = [];
    sub.on('error', (e) => events.push(`error ${e.code}`));
    sub.on('unsubscribed', () => events.push('unsubscribed'));
    await tick();
    expect(events).toEqual(['error FORBIDDEN', 'unsubscribed']);
    expect(sub.state).toBe('unsubscribed');
    expect(sb.getSubscription('org:acme')).toBeUndefined();
  });

  it('unsubscribe() tells the server and delivers nothing more; a second subscribe to a channel throws', async () => {
    const { server, sb, sub, got } = await subscribed();
    expect(() => sb.subscribe('room:a')).toThrow(expect.objectContaining({ code: 'ALREADY_SUBSCRIBED' }));
    sub.unsubscribe();
    server.publish('room:a', { message: 'late' });
    await tick();
    expect(server.sent('unsubscribe')).toEqual([{ type: 'unsubscribe', channel: 'room:a' }]);
    expect(got).toEqual([]);
    expect(sub.state).toBe('unsubscribed');
  });
});
