import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/index';
import type { MetricsSnapshot } from '../../local/metrics';
import { TestClient, unique } from './support/client';
import { api } from './support/http';
import { startTestStack, token } from './support/stack';

/**
 * The local stack keeps the metrics the handlers write in AWS: their EMF documents, summed per second and
 * served at GET /.local/metrics with the handlers' durations. A stack of its own, so the counts are exact.
 */
let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack({ env: { PRESENCE_ANNOUNCE_MAX: '0' } });
});
afterAll(() => stack?.stop());

async function snapshot(query = ''): Promise<MetricsSnapshot> {
  const res = await api(stack.httpUrl, 'GET', `/.local/metrics${query}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  return res.body as unknown as MetricsSnapshot;
}

/** Every second of the window added up: counts, breakdowns, and the number of timed invocations. */
function totals(s: MetricsSnapshot) {
  const counts: Record<string, number> = {};
  const by: Record<string, Record<string, number>> = {};
  let invocations = 0;
  let fanOuts = 0;
  for (const b of s.buckets) {
    for (const [name, n] of Object.entries(b.counts)) counts[name] = (counts[name] ?? 0) + n;
    for (const [name, dims] of Object.entries(b.by)) {
      for (const [dimension, values] of Object.entries(dims)) {
        const key = `${name} by ${dimension}`;
        by[key] ??= {};
        for (const [value, n] of Object.entries(values)) by[key][value] = (by[key][value] ?? 0) + n;
      }
    }
    invocations += b.latency?.count ?? 0;
    fanOuts += b.durations.FanOutDuration?.count ?? 0;
  }
  return { counts, by, invocations, fanOuts };
}

describe('GET /.local/metrics', () => {
  it('adds up what the handlers recorded, per second: connects, refusals, frames, errors, deliveries, disconnects', async () => {
    const room = unique('room:');
    const before = totals(await snapshot());
    expect(before.counts).toEqual({}); // a stack of its own: nothing has happened yet

    const a = await TestClient.connect(stack.wsUrl, { channels: [room] });
    const b = await TestClient.connect(stack.wsUrl, { channels: [room] });
    expect((await TestClient.refused(stack.wsUrl, { channels: ['nope:x'] })).status).toBe(400);
    await a.request({ type: 'publish', channel: room, data: { n: 1 }, id: 'm1' }, 'ack');
    await b.next((f) => f.type === 'publication');
    expect((await a.request('{not json', 'error')).code).toBe('INVALID_JSON');
    const service = await token(stack.httpUrl, { sub: unique('svc-'), scope: 'realtime:publish' });
    const sent = await api(stack.httpUrl, 'POST', '/v1/publish', {
      bearer: service,
      body: { channel: room, type: 'api_message', data: {} },
    });
    expect(sent.body).toMatchObject({ recipients: 2, delivered: 2 });
    // A problem from the handler (a 401 would come from API Gateway's JWT authorizer: no Lambda runs).
    expect((await api(stack.httpUrl, 'POST', '/v1/publish', { bearer: service, body: {} })).status).toBe(400);
    await a.close();
    await b.close();

    // $disconnect runs after the socket closed: the metrics say when it has.
    await expect.poll(async () => totals(await snapshot()).counts.Disconnects, { timeout: 5_000 }).toBe(2);
    const s = await snapshot('?seconds=60');
    expect(s).toMatchObject({ service: 'Switchboard', namespace: 'Switchboard', seconds: 60 });
    expect(s.now).toBe(Math.floor(Date.now() / 1000));
    for (const bucket of s.buckets) expect(bucket.t).toBeGreaterThan(s.now - 60);
    const { counts, by, invocations, fanOuts } = totals(s);
    expect(counts).toEqual({
      Connects: 2,
      ConnectRefusals: 1,
      Frames: 2,
      Errors: 2,
      Publishes: 2,
      Deliveries: 4, // a's publish to a and b, then the HTTP publish to both
      Disconnects: 2,
    });
    expect(by).toEqual({
      'ConnectRefusals by status': { 400: 1 },
      'Frames by type': { publish: 1, unknown: 1 },
      'Errors by code': { INVALID_JSON: 1, INVALID_MESSAGE: 1 },
      'Publishes by namespace': { room: 2 },
    });
    expect(fanOuts).toBe(2);
    // Every handler invocation is timed: 3 authorizers and 3 $connect (one refused), 2 frames, 2 HTTP
    // requests, 2 $disconnect; no after-connect: with PRESENCE_ANNOUNCE_MAX=0 a room's joins are never
    // announced, so its $connect starts none.
    expect(invocations).toBe(12);
    const timed = s.buckets.find((bucket) => bucket.latency);
    expect(timed?.latency).toEqual({
      count: expect.any(Number),
      p50: expect.any(Number),
      p99: expect.any(Number),
      max: expect.any(Number),
    });
    expect(timed!.latency!.p50).toBeLessThanOrEqual(timed!.latency!.p99);
  });

  it('answers 400 for a window it does not keep, and 405 for anything but GET', async () => {
    for (const q of ['?seconds=0', '?seconds=601', '?seconds=ten']) {
      expect((await api(stack.httpUrl, 'GET', `/.local/metrics${q}`)).status).toBe(400);
    }
    expect((await api(stack.httpUrl, 'POST', '/.local/metrics')).status).toBe(405);
  });
});
