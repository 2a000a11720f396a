import type { Principal } from '../auth/principal';
import type { Channel } from '../channels';
import type { Log } from '../ports';
import type { FrameContext } from './context';

/**
 * What a namespace does beyond plain pub/sub when connections join or leave it (presence notices, a
 * counter's sync). Hooks belong to the namespace's feature, which makes them from the runtime (so they hold
 * the stores they use); they run after the subscription change is stored, and a failing hook is logged
 * and never undoes the change.
 */
export interface JoinEvent {
  channel: Channel;
  connectionId: string;
  principal: Principal;
  /** Connections on the channel after the join. */
  count: number;
  /** True at `$connect`, when nothing can be sent to the joining connection yet. */
  atConnect: boolean;
}

export interface LeaveEvent {
  channel: Channel;
  connectionId: string;
  principal: Principal;
  /** Connections on the channel after the leave. */
  count: number;
  reason: 'unsubscribe' | 'disconnect';
}

export interface ChannelHooks {
  /** `ctx` is the frame being answered (subscribe), or null at `$connect`. */
  afterJoin?(event: JoinEvent, ctx: FrameContext | null): Promise<void>;
  afterLeave?(event: LeaveEvent): Promise<void>;
  /** Adds replies to `hello` for a channel the connection joined at `$connect`. */
  onHello?(channel: Channel, ctx: FrameContext): Promise<void>;
}

/** Per namespace name, its hooks (composed from the features in shared/app/features.ts). */
export type ChannelHookRegistry = Readonly<Record<string, ChannelHooks | undefined>>;

export async function runHook(log: Log, what: string, fn: () => Promise<void> | undefined): Promise<void> {
  try {
    await fn();
  } catch (error) {
    log.error(`channel hook failed: ${what}`, {
      error: error instanceof Error ? error.stack : String(error),
    });
  }
}
