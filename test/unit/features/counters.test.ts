import { describe, expect, it } from 'vitest';
import { disconnect } from '../../../shared/core/connections';
import { fakeWorld } from '../../support/fakes';
import { anonymous, TestClient } from '../../support/world';

const T = '2026-11-23T12:00:00.000Z';
const ofType = (client: TestClient, type: string) => client.received().filter((f) => f.type === type);

describe('counter frames', () => {
  it('increment, decrement and reset reach every subscriber with the delta, the new total and a version', async () => {
    const world = fakeWorld();
    const a = await TestClient.connect(world, 'a', anonymous, 'counter:clicks');
    const b = await TestClient.connect(world, 'b', anonymous, 'counter:clicks');

    expect(await a.send({ action: 'increment', value: 5 })).toEqual([]);
    await b.send({ action: 'decrement', value: 2, channel: 'counter:clicks' });
    await a.send({ action: 'reset', value: 'ignored' });
    await b.send({ action: 'increment', value: -4 });

    const updates = ofType(b, 'counter_update');
    expect(updates[0]).toEqual({
      type: 'counter_update',
      channel: 'counter:clicks',
      id: expect.any(String),
      timestamp: T,
      action: 'increment',
      value: 5,
      counter: 5,
      version: 1,
    });
    expect(updates.map((u) => [u.action, u.value, u.counter, u.version])).toEqual([
      ['increment', 5, 5, 1],
      ['decrement', 2, 3, 2],
      ['reset', 0, 0, 3],
      ['increment', -4, -4, 4],
    ]);
    expect(ofType(a, 'counter_update')).toEqual(updates);
    expect(await world.counters.read('clicks')).toEqual({ total: -4, version: 4 });
  });

  it.each([
    [{ action: 'increment' }, 'value is required'],
    [{ action: 'increment', value: 1.5 }, 'value: Invalid input: expected int, received number'],
    [{ action: 'decrement', value: 1_000_001 }, undefined],
    // A field of the wrong type is named as such, not as missing.
    [{ action: 'increment', value: '3' }, 'value: Invalid input: expected number, received string'],
    [{ action: 'multiply', value: 2 }, undefined],
  ])('refuses %j with INVALID_MESSAGE and changes nothing', async (frame, message) => {
    const world = fakeWorld();
    const client = await TestClient.connect(world, 'a', anonymous, 'counter:c');
    const reply = await client.request(frame);
    expect(reply).toMatchObject({ type: 'error', code: 'INVALID_MESSAGE' });
    if (message) expect(reply.message).toBe(message);
    expect(await world.counters.read('c')).toEqual({ total: 0, version: 0 });
  });

  it('accepts steps of ±1,000,000', async () => {
    const world = fakeWorld();
    const client = await TestClient.connect(world, 'a', anonymous, 'counter:c');
    await client.send({ action: 'increment', value: 1_000_000 });
    await client.send({ action: 'decrement', value: -1_000_000 });
    expect((await world.counters.read('c')).total).toBe(2_000_000);
  });

  it('needs a subscription to the counter', async () => {
    const world = fakeWorld();
    const client = await TestClient.connect(world, 'a', anonymous, 'counter:mine');
    expect(await client.request({ action: 'increment', value: 1, channel: 'counter:other' })).toMatchObject({
      code: 'NOT_SUBSCRIBED',
    });
    const lone = await TestClient.connect(world, 'b');
    expect(await lone.request({ action: 'increment', value: 1 })).toMatchObject({ code: 'CHANNEL_REQUIRED' });
    expect(await world.counters.read('other')).toEqual({ total: 0, version: 0 });
  });
});

describe('joining and leaving a counter', () => {
  it('answers a subscribe with the current total (action sync) and the subscriber count, and tells the others the count', async () => {
    const world = fakeWorld();
    const a = await TestClient.connect(world, 'a', anonymous, 'counter:c');
    await a.send({ action: 'increment', value: 7 });
    const b = await TestClient.connect(world, 'b');

    expect(await b.send({ type: 'subscribe', channel: 'counter:c' })).toEqual([
      { type: 'subscribed', channel: 'counter:c' },
      {
        type: 'counter_update',
        channel: 'counter:c',
        id: expect.any(String),
        timestamp: T,
        action: 'sync',
        value: 0,
        counter: 7,
        version: 1,
      },
      { type: 'user_count_update', channel: 'counter:c', id: expect.any(String), timestamp: T, count: 2 },
    ]);
    expect(ofType(a, 'user_count_update').map((f) => f.count)).toEqual([2]);
    expect(ofType(b, 'user_count_update')).toEqual([]); // answered directly, not twice
  });

  it('joined at $connect, which cannot be answered yet, the connection gets the sync and count with hello', async () => {
    const world = fakeWorld();
    const a = await TestClient.connect(world, 'a', anonymous, 'counter:c');
    await a.send({ action: 'increment', value: 3 });
    const b = await TestClient.connect(world, 'b', anonymous, 'counter:c');

    expect(world.gateway.posts.filter((p) => p.connectionId === 'b')).toEqual([]);
    const replies = await b.send({ type: 'hello' });
    expect(replies.map((r) => [r.type, r.action, r.counter, r.count])).toEqual([
      ['connection.established', undefined, undefined, undefined],
      ['counter_update', 'sync', 3, undefined],
      ['user_count_update', undefined, undefined, 2],
    ]);
    expect(ofType(a, 'user_count_update').map((f) => f.count)).toEqual([2]);
  });

  it('a failing hello hook is logged and never fails hello itself', async () => {
    const world = fakeWorld();
    const b = await TestClient.connect(world, 'b', anonymous, 'counter:c');
    world.counters.read = async () => {
      throw new Error('counter table unavailable');
    };
    const replies = await b.send({ type: 'hello' });
    expect(replies.map((r) => r.type)).toEqual(['connection.established']);
    expect(
      world.log.lines.some(
        (l) => l.level === 'error' && String(l.extra?.error).includes('counter table unavailable'),
      ),
    ).toBe(true);
  });

  it('tells the remaining subscribers the new count on unsubscribe and disconnect', async () => {
    const world = fakeWorld();
    const a = await TestClient.connect(world, 'a', anonymous, 'counter:c');
    const b = await TestClient.connect(world, 'b', anonymous, 'counter:c');
    await TestClient.connect(world, 'c', anonymous, 'counter:c');
    world.gateway.posts.length = 0;

    await b.request({ type: 'unsubscribe', channel: 'counter:c' });
    await disconnect(world, 'c');
    await disconnect(world, 'a');

    expect(ofType(a, 'user_count_update').map((f) => f.count)).toEqual([2, 1]);
    expect(world.gateway.posts).toHaveLength(3); // 2 to a and c, then 1 to a; none once nobody is left
  });
});
