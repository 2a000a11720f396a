import type { ChannelRegistry } from '../../core/channels';
import { isoTime } from '../../core/protocol';
import { type PublishDeps, publish } from '../../core/publish';
import type { LivePushConfig, LivePushStore } from './store';

export type LiveRunDeps = PublishDeps & { livePush: LivePushStore; channels: ChannelRegistry };

/** A run covers this much time: the schedule starts the next one every minute. */
export const RUN_WINDOW_MS = 60_000;
/** A sleeping run wakes this often to see whether it must stop (its Lambda is about to time out). */
const WAKE_MS = 1_000;
/** A run ends when its Lambda has less time left than the wait for the next push plus this. */
const SAFETY_MS = 2_000;
/** Slot claims outlive any run that could still try them. */
const CLAIM_TTL_SECONDS = 60 * 60;

export interface LiveRunOptions {
  /** @default RUN_WINDOW_MS */
  windowMs?: number;
  /** The Lambda context's getRemainingTimeInMillis. @default never runs out */
  remainingTimeMs?: () => number;
}

export interface LiveRunResult {
  /** Pushes this run made (slots it claimed). */
  pushed: number;
  /** Why it ended: the push was off, the run's window was used up, or its Lambda's time was. */
  ended: 'disabled' | 'window' | 'time';
}

/**
 * One run of the live push (the live-stats Lambda): while the config says it is on, publishes `live_stats`
 * to its channel once per slot of `interval_seconds`, until the run's minute is used up. The config is
 * read again before every push, so a stop takes effect within one interval. Runs overlap (a schedule tick
 * and a start, or two ticks): each push first claims its slot, `floor((now - startedAt) / interval)` of
 * the current generation, with a conditional put, and only the claimer pushes — never twice per interval.
 */
export async function runLiveStats(deps: LiveRunDeps, options: LiveRunOptions = {}): Promise<LiveRunResult> {
  const { clock } = deps;
  const windowEnd = clock.now() + (options.windowMs ?? RUN_WINDOW_MS);
  const remaining = options.remainingTimeMs ?? (() => Number.POSITIVE_INFINITY);
  let pushed = 0;
  for (;;) {
    const config = await deps.livePush.read();
    if (!config?.enabled) return { pushed, ended: 'disabled' };
    const now = clock.now();
    const interval = config.intervalSeconds * 1000;
    const slot = Math.max(0, Math.floor((now - config.startedAt) / interval));
    const expiresAt = Math.floor(now / 1000) + CLAIM_TTL_SECONDS;
    if (await deps.livePush.claimSlot(config.generation, slot, expiresAt)) {
      pushed++;
      await pushStats(deps, config, now).catch((error: unknown) =>
        deps.log.error('live_stats push failed', { slot, error: String(error) }),
      );
    }
    const next = config.startedAt + (slot + 1) * interval;
    if (next >= windowEnd) return { pushed, ended: 'window' };
    // Sleeps in short steps: a Lambda about to time out (or a local stack stopping) ends the run at once.
    while (clock.now() < next) {
      if (remaining() < next - clock.now() + SAFETY_MS) return { pushed, ended: 'time' };
      await clock.sleep(Math.min(WAKE_MS, next - clock.now()));
    }
  }
}

async function pushStats(deps: LiveRunDeps, config: LivePushConfig, now: number): Promise<void> {
  const stats = await deps.connections.stats();
  await publish(deps, {
    channels: [deps.channels.parse(config.channel)],
    event: {
      type: 'live_stats',
      stats: { ...stats, timestamp: isoTime(now), formatted_time: isoTime(now).slice(11, 19) },
    },
  });
}
