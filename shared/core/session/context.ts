import type { Principal } from '../auth/principal';
import type { Dialect } from '../dialect';
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
    /** The connection's seed dialect: every reply goes out in its shape, or not at all (core/dialect.ts). */
    readonly dialect?: Dialect,
  ) {}

  reply(frame: ServerFrame): void {
    const rendered = this.dialect ? this.dialect.render(frame) : frame;
    if (rendered !== null) this.replies.push(JSON.stringify(rendered));
  }

  /** A frame that is already serialized (history replay sends frames exactly as first delivered). */
  replyRaw(serialized: string): void {
    if (this.dialect) this.reply(JSON.parse(serialized) as ServerFrame);
    else this.replies.push(serialized);
  }

  get now(): number {
    return this.clock.now();
  }
}
