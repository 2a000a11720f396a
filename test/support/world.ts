import { frameRouter } from '../../shared/app/websocket';
import { afterConnect } from '../../shared/core/after-connect';
import { ANONYMOUS, type Principal } from '../../shared/core/auth/principal';
import { connect } from '../../shared/core/connections';
import { handleFrame } from '../../shared/core/session/frames';
import type { FakeWorld } from './fakes';

export const user = (sub: string, extra: Partial<Principal> = {}): Principal => ({
  sub,
  username: sub,
  orgs: [],
  scopes: [],
  exp: null,
  ...extra,
});

export const anonymous = ANONYMOUS;

/** A connected client of a fake world: send a frame, get the replies it would see, parsed. */
export class TestClient {
  constructor(
    readonly world: FakeWorld,
    readonly connectionId: string,
    readonly principal: Principal,
  ) {}

  static async connect(world: FakeWorld, id: string, principal: Principal = ANONYMOUS, channels?: string) {
    const result = await connect(world, { connectionId: id, principal, channels });
    if (!result.ok) throw new Error(`connect refused: ${result.status} ${result.error.message}`);
    // What the after-connect Lambda does once the handshake is over (join notices, welcome frames).
    if (result.afterConnect) await afterConnect(world, result.afterConnect);
    return new TestClient(world, id, principal);
  }

  /** The frame handling of the message handler (shared/app/websocket.ts), without its Management API posts. */
  async handle(frame: unknown) {
    return handleFrame(this.world, frameRouter(this.world), {
      connectionId: this.connectionId,
      principal: this.principal,
      body: typeof frame === 'string' ? frame : JSON.stringify(frame),
    });
  }

  async send(frame: unknown): Promise<Record<string, unknown>[]> {
    const ctx = await this.handle(frame);
    return ctx.replies.map((r) => JSON.parse(r) as Record<string, unknown>);
  }

  /** The one reply to a request/response frame. */
  async request(frame: unknown): Promise<Record<string, unknown>> {
    const replies = await this.send(frame);
    if (replies.length !== 1) throw new Error(`expected one reply, got ${JSON.stringify(replies)}`);
    return replies[0] as Record<string, unknown>;
  }

  /** Frames delivered to this connection through the gateway. */
  received(): Record<string, unknown>[] {
    return this.world.gateway.framesTo(this.connectionId);
  }
}
