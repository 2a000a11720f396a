import type { Principal } from '../auth/principal';
import type { Channel, NamespaceName } from '../channels';
import type { Deps, FrameContext } from './context';

/**
 * What a namespace does beyond plain pub/sub when connections join or leave it (presence notices, a
 * counter's sync). Hooks run after the subscription change is stored; a failing hook is logged and never
 * undoes the change.
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
  afterJoin?(deps: Deps, event: JoinEvent, ctx: FrameContext | null): Promise<void>;
  afterLeave?(deps: Deps, event: LeaveEvent): Promise<void>;
  /** Adds replies to `hello` for a channel the connection joined at `$connect`. */
  onHello?(deps: Deps, channel: Channel, ctx: FrameContext): Promise<void>;
}

/** Per namespace, its hooks. Composed in shared/features/index.ts and handed to the domain in Deps. */
export type ChannelHookRegistry = Partial<Record<NamespaceName, ChannelHooks>>;

export async function runHook(deps: Deps, what: string, fn: () => Promise<void> | undefined): Promise<void> {
  try {
    await fn();
  } catch (error) {
    deps.log.error(`channel hook failed: ${what}`, {
      error: error instanceof Error ? error.stack : String(error),
    });
  }
}
