import type * as z from 'zod/mini';
import type { AuthConfig } from '../auth/jwt';
import type { Principal } from '../auth/principal';
import type { Channel } from '../channels';
import type { Dialect } from '../dialect';
import { asProtocolError, ProtocolError } from '../errors';
import type { Clock, ConnectionStore, Log, Metrics } from '../ports';
import { checkDepth, parseFrameText, validate } from '../protocol';
import type { Limits } from '../settings';
import { FrameContext } from './context';

/**
 * A handler for one kind of client frame. Which frame it handles is the key it is registered under: a
 * `type` (the route table routes exactly the declared types), or for the seed clients' frames without one
 * (`{"content": …}`, `{"action": …}`) the field that tells them apart.
 */
export interface FrameHandler<S extends z.ZodMiniType = z.ZodMiniType> {
  schema: S;
  handle(ctx: FrameContext, frame: z.infer<S>): Promise<void>;
}

export const defineFrame = <S extends z.ZodMiniType>(handler: FrameHandler<S>): FrameHandler =>
  handler as unknown as FrameHandler;

/** Handlers by frame type, and those of typeless frames by the field that tells them apart. */
export interface FrameHandlers {
  typed: Readonly<Record<string, FrameHandler>>;
  typeless: Readonly<Record<string, FrameHandler>>;
}

export interface FrameRouter {
  readonly typed: ReadonlyMap<string, FrameHandler>;
  /** Tried in order: the first whose field a typeless frame has handles it. */
  readonly typeless: readonly (readonly [field: string, handler: FrameHandler])[];
}

/** One router from the session's and the features' handlers; a type claimed twice is a fault of the code. */
export function createFrameRouter(parts: readonly FrameHandlers[]): FrameRouter {
  const typed = new Map<string, FrameHandler>();
  const typeless: [string, FrameHandler][] = [];
  for (const part of parts) {
    for (const [type, handler] of Object.entries(part.typed)) {
      if (typed.has(type)) throw new Error(`frame type "${type}" has two handlers`);
      typed.set(type, handler);
    }
    for (const [field, handler] of Object.entries(part.typeless)) {
      if (typeless.some(([f]) => f === field)) throw new Error(`typeless field "${field}" has two handlers`);
      typeless.push([field, handler]);
    }
  }
  return { typed, typeless };
}

export interface IncomingFrame {
  connectionId: string;
  principal: Principal;
  body: string | null | undefined;
  /** The connection's seed dialect (its frames are parsed and answered in it); absent: native. */
  dialect?: Dialect | undefined;
}

export interface FrameDeps {
  connections: Pick<ConnectionStore, 'countFrame'>;
  clock: Clock;
  log: Log;
  metrics: Metrics;
  config: { limits: Pick<Limits, 'ratePerMinute'>; auth: Pick<AuthConfig, 'clockToleranceSeconds'> };
}

/**
 * Handles one client frame end to end: token expiry, the per-connection rate limit, JSON, the frame's
 * kind, its schema, then its handler. Every failure a client caused becomes an `error` frame (with `ref`
 * = the client's `id`); anything else becomes INTERNAL and is logged. Nothing here throws.
 *
 * Metrics: every frame counts in Frames by the kind its handler is registered under (the type, or for a
 * typeless frame the field that told it apart), `unknown` when none was selected (so a client cannot mint
 * dimension values); every error frame in Errors by code; a refusal of the rate limit in RateLimitedFrames.
 */
export async function handleFrame(
  deps: FrameDeps,
  router: FrameRouter,
  incoming: IncomingFrame,
): Promise<FrameContext> {
  const { dialect } = incoming;
  const ctx = new FrameContext(incoming.connectionId, incoming.principal, deps.clock, dialect);
  let ref: string | undefined;
  let kind = 'unknown';
  try {
    if (tokenExpired(deps, incoming.principal)) {
      ctx.closeAfterReply = true;
      throw new ProtocolError('UNAUTHORIZED', 'Token expired; reconnect with a fresh token');
    }
    // Every frame counts, a malformed one too; the client's id is read first so the refusal can name it.
    const limited = await rateLimited(deps, incoming.connectionId);
    if (limited) deps.metrics.count('RateLimitedFrames');
    let raw: Record<string, unknown>;
    try {
      raw = parseFrameText(incoming.body);
    } catch (error) {
      throw limited ?? error;
    }
    ref = typeof raw.id === 'string' && raw.id.length <= 64 ? raw.id : undefined;
    if (limited) throw limited;
    // Before anything that recurses (zod, the idempotency fingerprint, JSON.stringify) sees the frame.
    checkDepth(raw);
    if (dialect) raw = dialect.parse(raw);
    const selected = selectHandler(router, raw);
    kind = selected.kind;
    const frame = validate(selected.handler.schema, raw);
    await selected.handler.handle(ctx, frame);
  } catch (error) {
    const e = asProtocolError(error);
    if (e.code === 'INTERNAL') {
      deps.log.error('frame failed', {
        connectionId: incoming.connectionId,
        error: error instanceof Error ? error.stack : String(error),
      });
    }
    deps.metrics.countBy('Errors', e.code);
    ctx.replies.length = 0;
    ctx.reply(e.toFrame(ref));
  }
  deps.metrics.countBy('Frames', kind);
  return ctx;
}

/** The frame's handler, and the key it is registered under (a type, or a typeless frame's field). */
function selectHandler(
  router: FrameRouter,
  raw: Record<string, unknown>,
): { kind: string; handler: FrameHandler } {
  if ('type' in raw) {
    if (typeof raw.type !== 'string') throw new ProtocolError('INVALID_MESSAGE', 'type must be a string');
    const handler = router.typed.get(raw.type);
    if (!handler) throw new ProtocolError('UNKNOWN_TYPE', `Unknown frame type "${raw.type.slice(0, 64)}"`);
    return { kind: raw.type, handler };
  }
  const found = router.typeless.find(([field]) => field in raw);
  if (!found) throw new ProtocolError('INVALID_MESSAGE', 'type is required');
  return { kind: found[0], handler: found[1] };
}

function tokenExpired(deps: FrameDeps, principal: Principal): boolean {
  if (principal.exp === null) return false;
  return deps.clock.now() / 1000 > principal.exp + deps.config.auth.clockToleranceSeconds;
}

/** A fixed one-minute window per connection, counted in the table so every Lambda sees the same count. */
async function rateLimited(deps: FrameDeps, connectionId: string): Promise<ProtocolError | null> {
  const limit = deps.config.limits.ratePerMinute;
  const windowStart = Math.floor(deps.clock.now() / 60_000) * 60;
  const count = await deps.connections.countFrame(connectionId, windowStart);
  return count > limit
    ? new ProtocolError('RATE_LIMITED', `More than ${limit} frames in a minute; this frame was not processed`)
    : null;
}

/**
 * The idempotency of a client's message `id` (PROTOCOL.md section 3): one id is one message on a channel,
 * whichever frame carries it, and the request it stands for is the frame without its `id`, with the
 * channel it went to (named or found: `{"content": "hi"}` and the same with its channel are one request).
 */
export function frameIdempotency(
  channel: Channel,
  frame: { id?: string | undefined } & Record<string, unknown>,
): { key: string; request: unknown } | undefined {
  if (frame.id === undefined) return undefined;
  const { id, ...request } = frame;
  return { key: `ws#${channel.id}#${id}`, request: { ...request, channel: channel.id } };
}
