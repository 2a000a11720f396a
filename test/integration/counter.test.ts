import { afterEach, describe, expect, it } from 'vitest';
import { clientPool, type Frame, type TestClient, unique } from './support/client';
import { shared, token } from './support/stack';

const { wsUrl, httpUrl } = shared();
const clients = clientPool();
afterEach(() => clients.closeAll());

const CLIENTS = 50;

describe("seed 001's counter", () => {
  it('50 clients incrementing one counter at once all end with the exact total', {
    timeout: 180_000,
  }, async () => {
    const name = unique('');
    const channel = `counter:${name}`;
    const all: TestClient[] = [];
    for (let i = 0; i < CLIENTS; i++) all.push(await clients.connect(wsUrl));
    // Subscribing answers with the current total and the number of connections on the counter.
    const joins = await Promise.all(
      all.map(async (c) => {
        c.send({ type: 'subscribe', channel });
        return [await c.nextOfType('counter_update'), await c.nextOfType('user_count_update')];
      }),
    );
    for (const [sync, count] of joins) {
      expect(sync).toMatchObject({ channel, action: 'sync', value: 0, counter: 0, version: 0 });
      expect(count!.count).toBeGreaterThanOrEqual(1);
    }

    // Client i adds i + 1, all at once: 1 + 2 + … + 50.
    for (const [i, c] of all.entries()) c.send({ action: 'increment', value: i + 1 });
    const total = (CLIENTS * (CLIENTS + 1)) / 2;

    for (const client of all) {
      const updates: Frame[] = [];
      for (let n = 0; n < CLIENTS; n++) {
        updates.push(await client.nextOfType('counter_update', (f) => f.action === 'increment'));
      }
      // Fan-outs of concurrent changes may arrive in any order: the highest version is the current total.
      const latest = updates.reduce((a, b) => (Number(b.version) > Number(a.version) ? b : a));
      expect(latest).toMatchObject({ channel, counter: total, version: CLIENTS });
      expect(new Set(updates.map((u) => u.version)).size).toBe(CLIENTS);
      expect(updates.map((u) => u.value).sort((a, b) => Number(a) - Number(b))).toEqual(
        Array.from({ length: CLIENTS }, (_, i) => i + 1),
      );
    }

    const res = await fetch(`${httpUrl}/v1/counters/${name}`);
    expect(await res.json()).toEqual({ counter: name, value: total, version: CLIENTS });
  });

  it('a service changes it over HTTP; joining at connect gets the total with hello; leaving updates the count', async () => {
    const name = unique('');
    const channel = `counter:${name}`;
    const service = await token(httpUrl, { sub: unique('svc-'), scope: 'realtime:publish' });
    const post = (body: unknown) =>
      fetch(`${httpUrl}/v1/counters/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${service}` },
        body: JSON.stringify(body),
      });
    const first = await post({ action: 'increment', value: 10 });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ counter: name, value: 10, version: 1 });

    const early = await clients.connect(wsUrl, { channels: [channel] });
    const hello = await early.request({ type: 'hello' }, 'connection.established');
    expect(hello.channels).toEqual([channel]);
    expect(await early.nextOfType('counter_update')).toMatchObject({
      action: 'sync',
      counter: 10,
      version: 1,
    });
    expect(await early.nextOfType('user_count_update')).toMatchObject({ count: 1 });

    const late = await clients.connect(wsUrl, { channels: [channel] });
    expect(await early.nextOfType('user_count_update')).toMatchObject({ count: 2 });
    await post({ action: 'decrement', value: 3 });
    expect(await early.nextOfType('counter_update')).toMatchObject({
      action: 'decrement',
      value: 3,
      counter: 7,
    });
    await late.hello();
    const sync = await late.nextOfType('counter_update', (f) => f.action === 'sync');
    expect(sync).toMatchObject({ counter: 7, version: 2 });

    late.send({ action: 'reset', value: 0 });
    expect(await early.nextOfType('counter_update')).toMatchObject({
      action: 'reset',
      counter: 0,
      version: 3,
    });
    await late.close();
    expect(await early.nextOfType('user_count_update')).toMatchObject({ count: 1 });

    const anonymous = await fetch(`${httpUrl}/v1/counters/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'increment', value: 1 }),
    });
    expect(anonymous.status).toBe(401);
  });
});
