import { z } from 'zod';
import { parseChannel } from '../../channels';
import type { Deps } from '../../domain/context';
import { ProtocolError } from '../../errors';
import type { Operation, OperationInput, OperationResult } from '../../http';
import { isoTime, validate } from '../../protocol';
import type { LivePushConfig, LiveStatsTrigger } from './store';

export const DEFAULT_LIVE_CHANNEL = 'live';
export const DEFAULT_INTERVAL_SECONDS = 5;

const startBody = z.object({
  channel: z.string().min(1).max(200).default(DEFAULT_LIVE_CHANNEL),
  interval_seconds: z.number().int().min(1).max(60).default(DEFAULT_INTERVAL_SECONDS),
});

/** The push as GET, POST and DELETE /v1/live-push answer it. */
function status(config: LivePushConfig | null) {
  return {
    enabled: config?.enabled ?? false,
    channel: config?.channel ?? DEFAULT_LIVE_CHANNEL,
    interval_seconds: config?.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS,
    generation: config?.generation ?? 0,
    started_at: config ? isoTime(config.startedAt) : null,
  };
}

/** GET /v1/live-push. */
export async function livePushStatusOperation({ deps }: OperationInput): Promise<OperationResult> {
  return { status: 200, body: status(await deps.livePush.read()) };
}

/**
 * POST /v1/live-push {channel?, interval_seconds?}: turns the push on (a new generation, slots counted
 * from now) and starts a run of the live-stats Lambda at once through `triggerFor(deps)`, so the first
 * `live_stats` comes within the interval rather than at the next minute's tick. Should that start fail,
 * the tick still picks the push up within a minute: the config is what counts.
 */
export const startLivePushOperation =
  (triggerFor: (deps: Deps) => LiveStatsTrigger): Operation =>
  async ({ deps, body }) => {
    const input = validate(startBody, body ?? {});
    const channel = parseChannel(input.channel);
    if (channel.namespace.name !== 'live') {
      throw new ProtocolError('INVALID_CHANNEL', `live stats go to a live channel ("live" or "live:{name}")`);
    }
    const config = await deps.livePush.start(
      { channel: channel.id, intervalSeconds: input.interval_seconds },
      deps.clock.now(),
    );
    try {
      await triggerFor(deps).start();
    } catch (error) {
      deps.log.error('could not start a live-stats run; the next schedule tick will', {
        error: String(error),
      });
    }
    return { status: 200, body: status(config) };
  };

/** DELETE /v1/live-push: turns the push off; every run stops before its next push. */
export async function stopLivePushOperation({ deps }: OperationInput): Promise<OperationResult> {
  return { status: 200, body: status(await deps.livePush.stop(deps.clock.now())) };
}
