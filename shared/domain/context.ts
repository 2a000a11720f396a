import type { TokenVerifier } from '../auth/jwt';
import type { Principal } from '../auth/principal';
import type { Config } from '../config';
import type { ChatStore } from '../features/chat/store';
import type { CounterStore } from '../features/counters/store';
import type { IotStore } from '../features/iot/store';
import type { LivePushStore } from '../features/live-stats/store';
import type { Clock, ConnectionStore, Gateway, Ids, Log, MessageStore } from '../ports';
import type { ServerFrame } from '../protocol';
import type { ChannelHookRegistry } from './hooks';

/** Everything the domain operations work with. Built once per container by lambdas/, or by tests. */
export interface Deps {
  config: Config;
  connections: ConnectionStore;
  messages: MessageStore;
  /** Chats and their participants (the chat feature). */
  chats: ChatStore;
  /** Devices, sensors and readings (shared/features/iot). */
  iot: IotStore;
  gateway: Gateway;
  verifier: TokenVerifier;
  clock: Clock;
  ids: Ids;
  log: Log;
  /** What each namespace does when connections join or leave it. */
  hooks: ChannelHookRegistry;
  /** counter:{name} totals. */
  counters: CounterStore;
  /** The live push's config and slot claims. */
  livePush: LivePushStore;
}

/**
 * One client frame being handled. Replies are kept in order: the message handler posts all but the last
 * through the Management API and returns the last as the route response, so the client sees them in order.
 */
export class FrameContext {
  readonly replies: string[] = [];
  /** Set when the connection must be closed once the replies are out. */
  closeAfterReply = false;

  constructor(
    readonly deps: Deps,
    readonly connectionId: string,
    readonly principal: Principal,
  ) {}

  reply(frame: ServerFrame): void {
    this.replies.push(JSON.stringify(frame));
  }

  /** A frame that is already serialized (history replay sends frames exactly as first delivered). */
  replyRaw(serialized: string): void {
    this.replies.push(serialized);
  }

  get now(): number {
    return this.deps.clock.now();
  }
}
