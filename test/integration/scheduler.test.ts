import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLog } from '../../local/log';
import { createScheduler, type ScheduledEvent } from '../../local/scheduler';
import type { LambdaName } from '../../shared/app/routes';
import { recorder, startTestStack } from './support/stack';

afterEach(() => {
  vi.useRealTimers();
});

describe('the minute scheduler', () => {
  it('fires each schedule at the minute boundaries its period divides, as EventBridge rate rules do', async () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2030-01-01T12:00:30Z'));
    const fired: [LambdaName, ScheduledEvent][] = [];
    const scheduler = createScheduler({
      schedules: [
        { name: 'each-minute', lambda: 'http-health', everyMinutes: 1 },
        { name: 'every-second-minute', lambda: 'http-channels', everyMinutes: 2 },
      ],
      region: 'eu-west-1',
      invoke: async (lambda, event) => {
        fired.push([lambda, event]);
      },
      log: createLog('silent'),
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(29_000);
    expect(fired).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_000); // 12:01:00
    await vi.advanceTimersByTimeAsync(60_000); // 12:02:00
    await vi.advanceTimersByTimeAsync(60_000); // 12:03:00
    scheduler.stop();
    await vi.advanceTimersByTimeAsync(180_000);

    expect(fired.map(([lambda, e]) => [lambda, e.time])).toEqual([
      ['http-health', '2030-01-01T12:01:00Z'],
      ['http-health', '2030-01-01T12:02:00Z'],
      ['http-channels', '2030-01-01T12:02:00Z'],
      ['http-health', '2030-01-01T12:03:00Z'],
    ]);
    expect(fired[0]![1]).toMatchObject({
      region: 'eu-west-1',
      resources: ['arn:aws:events:eu-west-1:123456789012:rule/each-minute'],
    });
  });

  it('runNow invokes a stack schedule handler with a Scheduled Event and returns what it returned', async () => {
    const calls = recorder();
    const stack = await startTestStack({
      observe: calls.observe,
      schedules: [{ name: 'probe', lambda: 'http-health', everyMinutes: 5 }],
    });
    try {
      const result = await stack.scheduler.runNow('probe');
      const [invocation] = calls.done;
      expect(invocation).toMatchObject({
        lambda: 'http-health',
        event: { 'detail-type': 'Scheduled Event' },
      });
      expect(result).toBe(invocation?.result);
      await expect(stack.scheduler.runNow('nope')).rejects.toThrow(/No schedule named "nope"/);
    } finally {
      await stack.stop();
    }
  });
});
