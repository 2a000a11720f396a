import { randomUUID } from 'node:crypto';
import type { LambdaName, Schedule } from '../shared/app/routes';
import { LOCAL_ACCOUNT_ID } from './ids';
import { errorText, type LocalLog } from './log';

/**
 * EventBridge's `rate(n minutes)` rules, locally: at every minute boundary, each schedule whose period
 * divides the minute invokes its Lambda with a "Scheduled Event", as EventBridge would.
 */
export interface ScheduledEvent {
  version: '0';
  id: string;
  'detail-type': 'Scheduled Event';
  source: 'aws.events';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, never>;
}

export interface SchedulerOptions {
  schedules: readonly Schedule[];
  region: string;
  invoke(lambda: LambdaName, event: ScheduledEvent): Promise<unknown>;
  log: LocalLog;
}

export interface Scheduler {
  start(): void;
  stop(): void;
  /** Invokes one schedule now, as the next tick would; resolves with what the handler returned. */
  runNow(name: string): Promise<unknown>;
}

const MINUTE_MS = 60_000;

export function scheduledEvent(schedule: Schedule, region: string, at: number): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT_ID,
    // EventBridge stamps the scheduled time to the second, without milliseconds.
    time: new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    region,
    resources: [`arn:aws:events:${region}:${LOCAL_ACCOUNT_ID}:rule/${schedule.name}`],
    detail: {},
  };
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  const { schedules, region, invoke, log } = options;
  let timer: NodeJS.Timeout | undefined;

  const fire = (schedule: Schedule, at: number) =>
    invoke(schedule.lambda, scheduledEvent(schedule, region, at));

  const tick = () => {
    const now = Date.now();
    const minute = Math.round(now / MINUTE_MS);
    for (const schedule of schedules) {
      if (minute % schedule.everyMinutes !== 0) continue;
      fire(schedule, minute * MINUTE_MS).catch((error: unknown) =>
        log.error(`schedule ${schedule.name} failed: ${errorText(error)}`),
      );
    }
    arm();
  };

  // One timer to the next minute boundary, re-armed each time, so ticks stay aligned however late one ran.
  const arm = () => {
    const now = Date.now();
    timer = setTimeout(tick, MINUTE_MS - (now % MINUTE_MS));
    timer.unref();
  };

  return {
    start() {
      if (schedules.length > 0 && !timer) arm();
    },
    stop() {
      clearTimeout(timer);
      timer = undefined;
    },
    runNow(name) {
      const schedule = schedules.find((s) => s.name === name);
      if (!schedule) return Promise.reject(new Error(`No schedule named "${name}"`));
      return fire(schedule, Date.now());
    },
  };
}
