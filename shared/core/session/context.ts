import type { Principal } from '../auth/principal';
import type { Clock } from '../ports';
import type { ServerFrame } from '../protocol';

/**
 * One client frame being handled. Replies are kept in order: the message handler posts all but the last
 * through the Management API and returns the last as the route response, so the client sees them in order.
 */
export class FrameContext {
  readonly replies: string[] = [];
  /** Set when the connection must be closed once the replies are out. */
  closeAfterReply = false;

  constructor(
    readonly connectionId: string,
    readonly principal: Principal,
    private readonly clock: Clock,
  ) {}

  reply(frame: ServerFrame): void {
    this.replies.push(JSON.stringify(frame));
  }

  /** A frame that is already serialized (history replay sends frames exactly as first delivered). */
  replyRaw(serialized: string): void {
    this.replies.push(serialized);
  }

  get now(): number {
    return this.clock.now();
  }
}
