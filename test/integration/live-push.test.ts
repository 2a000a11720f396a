import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/index';
import { LIVE_PUSH_START_EVENT } from '../../shared/adapters/lambda';
import type { LiveRunResult } from '../../shared/features/live-stats/run';
import { type Frame, TestClient, unique } from './support/client';
import { api } from './support/http';
import { type Invocation, recorder, startTestStack, token } from './support/stack';

/**
 * The live push end to end, on a stack with a table of its own: the push's config is one item per table,
 * and every stack on the shared table runs the live-stats schedule too (posting to connections it does not
 * own would find them gone). This stack keeps the route table's every-minute schedule, so a tick may
 * overlap the run a start begins, as in AWS.
 */
let stack: LocalStack;
const calls = recorder();
const INTERVAL = 2;

beforeAll(async () => {
  stack = await startTestStack({ tableName: 'switchboard-live-it', observe: calls.observe });
});
afterAll(() => stack?.stop());

const call = (method: string, bearer: string, body?: unknown) =>
  api(stack.httpUrl, method, '/v1/live-push', { bearer, body });

const liveRuns = (list: Invocation[]) => list.filter((i) => i.lambda === 'live-stats');

describe('the live push', () => {
  it('start → live_stats at the asked interval, once per interval despite overlapping runs → stop → no more', async () => {
    const channel = unique('live:');
    const admin = await token(stack.httpUrl, { sub: unique('ops-'), scope: 'realtime:admin' });
    const watcher = await TestClient.connect(stack.wsUrl, { channels: [channel] });
    await watcher.hello();

    const started = await call('POST', admin, { channel, interval_seconds: INTERVAL });
    expect(started).toMatchObject({
      status: 200,
      body: { enabled: true, channel, interval_seconds: INTERVAL, generation: expect.any(Number) },
    });
    const startedAt = Date.parse(String(started.body.started_at));
    const slotOf = (f: Frame) =>
      Math.floor(
        (Date.parse(String((f.stats as { timestamp: string }).timestamp)) - startedAt) / (INTERVAL * 1000),
      );

    // The start began a run at once, through Lambda's asynchronous Invoke: the first push is slot 0.
    const first = await watcher.nextOfType('live_stats');
    expect(first).toMatchObject({
      channel,
      stats: {
        connections: expect.any(Number),
        channels: expect.any(Number),
        users: expect.any(Number),
        formatted_time: expect.stringMatching(/^\d\d:\d\d:\d\d$/),
      },
    });
    expect(slotOf(first)).toBe(0);
    expect(liveRuns(calls.started)[0]?.event).toEqual(LIVE_PUSH_START_EVENT);

    // A schedule tick now: a second run, overlapping the first for the rest of the push.
    const tick = stack.scheduler.runNow('live-stats') as Promise<LiveRunResult>;
    const frames = [first];
    for (let i = 0; i < 4; i++) frames.push(await watcher.nextOfType('live_stats'));
    const slots = frames.map(slotOf);
    expect(slots).toEqual([...slots].sort((a, b) => a - b));
    expect(new Set(slots).size).toBe(slots.length);

    expect(await call('GET', admin)).toMatchObject({ status: 200, body: { enabled: true, channel } });
    const stopped = await call('DELETE', admin);
    expect(stopped).toMatchObject({ status: 200, body: { enabled: false, channel } });

    // Every run ends within an interval of the stop, having seen it.
    const ended = await tick;
    expect(ended.ended).toBe('disabled');
    for (const run of liveRuns(calls.started)) {
      const done = await calls.waitFor((i) => i.event === run.event);
      expect((done.result as LiveRunResult).ended).toBe('disabled');
    }
    // At most the push that was on its way as the stop came; nothing after it, and each slot once.
    const late = (await watcher.sync()).filter((f) => f.type === 'live_stats');
    expect(late.length).toBeLessThanOrEqual(1);
    const allSlots = [...slots, ...late.map(slotOf)];
    expect(new Set(allSlots).size).toBe(allSlots.length);

    // A later tick finds the push off and pushes nothing.
    expect(await stack.scheduler.runNow('live-stats')).toEqual({ pushed: 0, ended: 'disabled' });
    expect((await watcher.sync()).filter((f) => f.type === 'live_stats')).toEqual([]);
    await watcher.close();
  }, 60_000);

  it('is for realtime:admin only, and refuses a channel outside the live namespace', async () => {
    const publisher = await token(stack.httpUrl, { sub: unique('svc-'), scope: 'realtime:publish' });
    expect((await call('POST', publisher, { interval_seconds: 1 })).status).toBe(403);
    const admin = await token(stack.httpUrl, { sub: unique('ops-'), scope: 'realtime:admin' });
    expect(await call('POST', admin, { channel: 'room:general' })).toMatchObject({
      status: 400,
      body: { code: 'INVALID_CHANNEL' },
    });
    expect(await call('POST', admin, { interval_seconds: 0 })).toMatchObject({
      status: 400,
      body: { code: 'INVALID_MESSAGE' },
    });
  });

  it('a stack that stops ends the runs under way at once (their remaining time drops to 0), not after their minute', async () => {
    const admin = await token(stack.httpUrl, { sub: unique('ops-'), scope: 'realtime:admin' });
    const watcher = await TestClient.connect(stack.wsUrl, { channels: ['live'] });
    await watcher.hello();
    const before = liveRuns(calls.started).length;
    expect((await call('POST', admin, { interval_seconds: 1 })).status).toBe(200);
    await watcher.nextOfType('live_stats');
    const run = liveRuns(calls.started)[before]!;

    await stack.stop();
    const done = await calls.waitFor((i) => i.event === run.event);
    expect((done.result as LiveRunResult).ended).toBe('time');
  }, 20_000);
});
