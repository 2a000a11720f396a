import type { z } from 'zod';
import type { Principal } from '../auth/principal';
import { asProtocolError, ProtocolError } from '../errors';
import { parseFrameText, validate } from '../protocol';
import { type Deps, FrameContext } from './context';

/**
 * A handler for one kind of client frame. Most frames are told apart by `type`; the seed clients' frames
 * without one (`{"content": …}`, `{"action": …}`) by the field named in `typelessField`.
 */
export interface FrameHandler<S extends z.ZodType = z.ZodType> {
  type: string | null;
  typelessField?: string;
  schema: S;
  handle(ctx: FrameContext, frame: z.infer<S>): Promise<void>;
}

export const defineFrame = <S extends z.ZodType>(handler: FrameHandler<S>): FrameHandler =>
  handler as unknown as FrameHandler;

export interface IncomingFrame {
  connectionId: string;
  principal: Principal;
  body: string | null | undefined;
}

/**
 * Handles one client frame end to end: token expiry, the per-connection rate limit, JSON, the frame's
 * kind, its schema, then its handler. Every failure a client caused becomes an `error` frame (with `ref`
 * = the client's `id`); anything else becomes INTERNAL and is logged. Nothing here throws.
 */
export async function handleFrame(
  deps: Deps,
  handlers: readonly FrameHandler[],
  incoming: IncomingFrame,
): Promise<FrameContext> {
  const ctx = new FrameContext(deps, incoming.connectionId, incoming.principal);
  let ref: string | undefined;
  try {
    if (tokenExpired(deps, incoming.principal)) {
      ctx.closeAfterReply = true;
      throw new ProtocolError('UNAUTHORIZED', 'Token expired; reconnect with a fresh token');
    }
    // Every frame counts, a malformed one too; the client's id is read first so the refusal can name it.
    const limited = await rateLimited(deps, incoming.connectionId);
    let raw: Record<string, unknown>;
    try {
      raw = parseFrameText(incoming.body);
    } catch (error) {
      throw limited ?? error;
    }
    ref = typeof raw.id === 'string' && raw.id.length <= 64 ? raw.id : undefined;
    if (limited) throw limited;
    const handler = selectHandler(handlers, raw);
    const frame = validate(handler.schema, raw);
    await handler.handle(ctx, frame);
  } catch (error) {
    const e = asProtocolError(error);
    if (e.code === 'INTERNAL') {
      deps.log.error('frame failed', {
        connectionId: incoming.connectionId,
        error: error instanceof Error ? error.stack : String(error),
      });
    }
    ctx.replies.length = 0;
    ctx.reply(e.toFrame(ref));
  }
  return ctx;
}

function selectHandler(handlers: readonly FrameHandler[], raw: Record<string, unknown>): FrameHandler {
  if ('type' in raw) {
    if (typeof raw.type !== 'string') throw new ProtocolError('INVALID_MESSAGE', 'type must be a string');
    const type = raw.type;
    const handler = handlers.find((h) => h.type === type);
    if (!handler) throw new ProtocolError('UNKNOWN_TYPE', `Unknown frame type "${type.slice(0, 64)}"`);
    return handler;
  }
  const handler = handlers.find((h) => h.typelessField !== undefined && h.typelessField in raw);
  if (!handler) throw new ProtocolError('INVALID_MESSAGE', 'type is required');
  return handler;
}

function tokenExpired(deps: Deps, principal: Principal): boolean {
  if (principal.exp === null) return false;
  return deps.clock.now() / 1000 > principal.exp + deps.config.auth.clockToleranceSeconds;
}

/** A fixed one-minute window per connection, counted in the table so every Lambda sees the same count. */
async function rateLimited(deps: Deps, connectionId: string): Promise<ProtocolError | null> {
  const limit = deps.config.limits.ratePerMinute;
  const windowStart = Math.floor(deps.clock.now() / 60_000) * 60;
  const count = await deps.connections.countFrame(connectionId, windowStart);
  return count > limit
    ? new ProtocolError('RATE_LIMITED', `More than ${limit} frames in a minute; this frame was not processed`)
    : null;
}
