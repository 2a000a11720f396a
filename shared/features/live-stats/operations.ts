import * as z from 'zod/mini';
import type { ChannelRegistry } from '../../core/channels';
import { ProtocolError } from '../../core/errors';
import type { Operation } from '../../core/operations';
import type { Clock, Log } from '../../core/ports';
import { isoTime, validate } from '../../core/protocol';
import { live } from './manifest';
import type { LivePushConfig, LivePushStore, LiveStatsTrigger } from './store';

export const DEFAULT_LIVE_CHANNEL = 'live';
export const DEFAULT_INTERVAL_SECONDS = 5;

const startBody = z.lazy(() =>
  z.object({
    channel: z._default(z.string().check(z.minLength(1), z.maxLength(200)), DEFAULT_LIVE_CHANNEL),
    interval_seconds: z._default(
      z.number().check(z.int(), z.minimum(1), z.maximum(60)),
      DEFAULT_INTERVAL_SECONDS,
    ),
  }),
);

/** The push as GET, POST and DELETE /v1/live-push answer it. */
function statusOf(config: LivePushConfig | null) {
  return {
    enabled: config?.enabled ?? false,
    channel: config?.channel ?? DEFAULT_LIVE_CHANNEL,
    interval_seconds: config?.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS,
    generation: config?.generation ?? 0,
    started_at: config ? isoTime(config.startedAt) : null,
  };
}

export interface LivePushDeps {
  livePush: LivePushStore;
  channels: ChannelRegistry;
  clock: Clock;
  log: Log;
}

/**
 * lambdas/http-live-push.ts. `trigger` starts a run of the live-stats Lambda (built by that Lambda module,
 * so that only it bundles the Lambda client).
 */
export function livePushOperations(deps: LivePushDeps, trigger: LiveStatsTrigger) {
  /** GET /v1/live-push. */
  const status: Operation = async () => ({ status: 200, body: statusOf(await deps.livePush.read()) });

  /**
   * POST /v1/live-push {channel?, interval_seconds?}: turns the push on (a new generation, slots counted
   * from now) and starts a run of the live-stats Lambda at once, so the first `live_stats` comes within
   * the interval rather than at the next minute's tick. Should that start fail, the tick still picks the
   * push up within a minute: the config is what counts.
   */
  const start: Operation = async ({ body }) => {
    const input = validate(startBody, body ?? {});
    const channel = deps.channels.parse(input.channel);
    if (channel.namespace.name !== live.name) {
      throw new ProtocolError('INVALID_CHANNEL', `live stats go to a live channel ("live" or "live:{name}")`);
    }
    const config = await deps.livePush.start(
      { channel: channel.id, intervalSeconds: input.interval_seconds },
      deps.clock.now(),
    );
    try {
      await trigger.start();
    } catch (error) {
      deps.log.error('could not start a live-stats run; the next schedule tick will', {
        error: String(error),
      });
    }
    return { status: 200, body: statusOf(config) };
  };

  /** DELETE /v1/live-push: turns the push off; every run stops before its next push. */
  const stop: Operation = async () => ({
    status: 200,
    body: statusOf(await deps.livePush.stop(deps.clock.now())),
  });

  return { status, start, stop };
}

/** For the contract documents (contract/http.ts). */
export { startBody as livePushStartBody };
