import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Runtime } from '../../../shared/app/runtime';
import type { Clock } from '../../../shared/core/ports';
import { livePushOperations } from '../../../shared/features/live-stats/operations';
import { type LiveRunResult, runLiveStats } from '../../../shared/features/live-stats/run';
import { FakeLiveStatsTrigger, type FakeWorld, fakeWorld } from '../../support/fakes';
import { operationInput } from '../../support/operations';
import { anonymous, TestClient, user } from '../../support/world';

/**
 * The live push's timing, with time under the test's control. Runs overlap here (a start and schedule
 * ticks), so the injected clock must let them interleave as they would: its sleep is a timer that
 * vitest's fake timers fire in order, and its now is the faked Date.now. (FakeClock's sleep jumps the
 * one shared time forward at once, so two runs sleeping side by side would add up their sleeps.)
 */
const timerClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

const START = Date.UTC(2026, 10, 23, 12, 0, 30);
const admin = user('ops', { scopes: ['realtime:admin'] });

let world: FakeWorld;
let deps: Runtime;
let trigger: FakeLiveStatsTrigger;
const runs: Promise<LiveRunResult>[] = [];

beforeEach(async () => {
  vi.useFakeTimers({ now: START });
  world = fakeWorld();
  deps = { ...world, clock: timerClock };
  await TestClient.connect(world, 'watcher', anonymous, 'live'); // pushTimes() reads what it got
  // What the asynchronous Invoke does: a run of the live-stats Lambda, started now.
  trigger = new FakeLiveStatsTrigger();
  trigger.onStart = () => runs.push(runLiveStats(deps));
});
afterEach(async () => {
  await stop();
  await vi.advanceTimersByTimeAsync(120_000);
  await Promise.all(runs.splice(0));
  vi.useRealTimers();
});

const input = (body?: unknown) => operationInput(admin, { body });
const operations = () => livePushOperations(deps, trigger);
const start = (body: unknown) => operations().start(input(body));
const stop = () => operations().stop(input());
/** A schedule tick: another run of the same Lambda, overlapping whatever runs already. */
const tick = () => runs.push(runLiveStats(deps));
/** Seconds after START of every live_stats the watcher got. */
const pushTimes = () =>
  world.gateway
    .framesTo('watcher')
    .filter((f) => f.type === 'live_stats')
    .map((f) => (Date.parse(String(f.timestamp)) - START) / 1000);

describe('the live push', () => {
  it('pushes first at once on start, not at the next minute, then every interval_seconds', async () => {
    const res = await start({ interval_seconds: 2 });
    expect(res).toEqual({
      status: 200,
      body: {
        enabled: true,
        channel: 'live',
        interval_seconds: 2,
        generation: 1,
        started_at: '2026-11-23T12:00:30.000Z',
      },
    });
    expect(trigger.started).toBe(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(pushTimes()).toEqual([0]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(pushTimes()).toEqual([0, 2, 4]);
  });

  it('sends live_stats with the connection totals and the time as HH:MM:SS', async () => {
    await TestClient.connect(world, 'someone', user('alice'), 'room:x');
    await start({ channel: 'live', interval_seconds: 5 });
    await vi.advanceTimersByTimeAsync(0);
    expect(world.gateway.framesTo('watcher')).toEqual([
      {
        type: 'live_stats',
        channel: 'live',
        id: expect.any(String),
        timestamp: '2026-11-23T12:00:30.000Z',
        stats: {
          connections: 2,
          channels: 3, // live, room:x, user:alice
          users: 1,
          timestamp: '2026-11-23T12:00:30.000Z',
          formatted_time: '12:00:30',
        },
      },
    ]);
  });

  it('pushes once per slot while schedule ticks overlap the run the start began', async () => {
    await start({ interval_seconds: 7 }); // slots do not line up with the minute ticks
    await vi.advanceTimersByTimeAsync(30_000);
    tick(); // 12:01:00, inside slot 4 (28-35 s), which the start's run has pushed
    await vi.advanceTimersByTimeAsync(30_000);
    tick(); // 12:01:30: both runs are still going
    tick();
    await vi.advanceTimersByTimeAsync(100_000);

    // Exactly one push per slot, at the slot's start, from the start until the last runs' minute was up
    // (12:02:30, 120 s after the start): slots 0 to 17.
    expect(pushTimes()).toEqual(Array.from({ length: 18 }, (_, k) => 7 * k));
    expect(world.livePush.claimed.size).toBe(18);
  });

  it('a run started in the middle of a slot nobody pushed catches up on that slot at once', async () => {
    await world.livePush.start({ channel: 'live', intervalSeconds: 10 }, START - 25_000);
    tick();
    await vi.advanceTimersByTimeAsync(11_000);
    // Slot 2 (20-30 s after that start) at once, then slot 3 on time.
    expect(pushTimes()).toEqual([0, 5]);
  });

  it('stops within one interval of DELETE: no push after it, and every run ends', async () => {
    await start({ interval_seconds: 5 });
    tick();
    await vi.advanceTimersByTimeAsync(12_000);
    expect(pushTimes()).toEqual([0, 5, 10]);

    const stopped = await stop();
    expect(stopped.body).toMatchObject({ enabled: false, interval_seconds: 5, generation: 1 });
    await vi.advanceTimersByTimeAsync(5_000);
    const ended = await Promise.all(runs.splice(0));
    expect(ended.map((r) => r.ended)).toEqual(['disabled', 'disabled']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(pushTimes()).toEqual([0, 5, 10]);
  });

  it('a restart with another interval counts new slots from the restart', async () => {
    await start({ interval_seconds: 10 });
    await vi.advanceTimersByTimeAsync(12_000);
    await start({ interval_seconds: 3 }); // generation 2 from 12 s
    await vi.advanceTimersByTimeAsync(7_000);
    expect(pushTimes()).toEqual([0, 10, 12, 15, 18]);
  });

  it('ends a run when its minute is used up', async () => {
    await start({ interval_seconds: 20 });
    await vi.advanceTimersByTimeAsync(59_000);
    expect(pushTimes()).toEqual([0, 20, 40]);
    expect(await runs[0]).toEqual({ pushed: 3, ended: 'window' });
  });

  it("ends a run before its Lambda's time runs out", async () => {
    await world.livePush.start({ channel: 'live', intervalSeconds: 5 }, Date.now());
    const deadline = Date.now() + 11_500;
    const run = runLiveStats(deps, { remainingTimeMs: () => deadline - Date.now() });
    await vi.advanceTimersByTimeAsync(20_000);
    expect(await run).toEqual({ pushed: 2, ended: 'time' }); // waiting for the push at 10 s would leave under 2 s
    expect(pushTimes()).toEqual([0, 5]);
  });

  it('does nothing while the push is off', async () => {
    tick();
    expect(await runs.pop()).toEqual({ pushed: 0, ended: 'disabled' });
    expect(world.livePush.claimed.size).toBe(0);
  });

  it('keeps pushing after a push fails', async () => {
    const stats = vi.spyOn(world.connections, 'stats').mockRejectedValueOnce(new Error('throttled'));
    await start({ interval_seconds: 5 });
    await vi.advanceTimersByTimeAsync(6_000);
    expect(stats).toHaveBeenCalledTimes(2);
    expect(pushTimes()).toEqual([5]);
    expect(world.log.lines).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'live_stats push failed' }),
    );
  });
});

describe('GET, POST and DELETE /v1/live-push', () => {
  it('reports the push off before it was ever started, and DELETE then changes nothing', async () => {
    const off = { enabled: false, channel: 'live', interval_seconds: 5, generation: 0, started_at: null };
    expect(await operations().status(input())).toEqual({ status: 200, body: off });
    expect(await stop()).toEqual({ status: 200, body: off });
  });

  it('starts with the defaults: channel live, every 5 seconds', async () => {
    expect((await start(undefined)).body).toMatchObject({
      enabled: true,
      channel: 'live',
      interval_seconds: 5,
    });
    expect((await operations().status(input())).body).toMatchObject({ enabled: true, generation: 1 });
  });

  it.each([
    [{ interval_seconds: 0 }, 'INVALID_MESSAGE'],
    [{ interval_seconds: 61 }, 'INVALID_MESSAGE'],
    [{ interval_seconds: 1.5 }, 'INVALID_MESSAGE'],
    [{ channel: 'room:general' }, 'INVALID_CHANNEL'],
    [{ channel: 'nope:x' }, 'INVALID_CHANNEL'],
  ])('refuses %j with %s and starts nothing', async (body, code) => {
    await expect(start(body)).rejects.toMatchObject({ code });
    expect(world.livePush.config).toBeNull();
    expect(trigger.started).toBe(0);
  });

  it('still turns the push on when the run cannot be started: the next tick takes over', async () => {
    trigger.onStart = () => {
      throw new Error('Lambda is down');
    };
    expect((await start({ channel: 'live:ops' })).body).toMatchObject({ enabled: true, channel: 'live:ops' });
    expect(world.log.lines).toContainEqual(expect.objectContaining({ level: 'error' }));
  });
});
