import type { Principal } from '../auth/principal';
import type { Channel } from '../channels';
import type { Log } from '../ports';
import type { ServerFrame } from '../protocol';
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
  /**
   * True for a join at `$connect`: the hooks then run after it, in the after-connect Lambda
   * (core/after-connect.ts), while the joiner's socket opens; `welcome` is how to send it something.
   */
  atConnect: boolean;
  /** For a join at `$connect`: when it was stored (the connection's `connectedAt`, epoch ms). */
  joinedAt?: number;
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
  /**
   * `ctx` is the frame being answered (subscribe), or null for a join at `$connect`, which runs after the
   * handshake (core/after-connect.ts), never inside it: whatever grows with the channel belongs here.
   */
  afterJoin?(event: JoinEvent, ctx: FrameContext | null): Promise<void>;
  /**
   * The counts (connections after the join, the joiner included) for which `afterJoin` has anything to do
   * at `$connect`; absent, it always has. `$connect` starts no after-connect Lambda for a channel it knows
   * to be outside the range (core/after-connect.ts `afterConnectJob`): a room above the presence limit.
   */
  joinWork?: { min: number; max: number };
  /**
   * For a join at `$connect`: frames the joining connection gets first, unasked (a server-first welcome).
   * The after-connect Lambda posts them in order, retrying briefly while API Gateway still answers 410
   * (it does until `$connect` has returned).
   */
  welcome?(event: JoinEvent): Promise<ServerFrame[]>;
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
