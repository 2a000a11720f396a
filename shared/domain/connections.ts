import type { Principal } from '../auth/principal';
import { authorizeSubscribe, type Channel, parseChannel, userChannel } from '../channels';
import { asProtocolError, ProtocolError } from '../errors';
import { ChannelLimitError, ConnectionGoneError, type SubscribeResult } from '../ports';
import type { Deps, FrameContext } from './context';
import { runHook } from './hooks';
import { mapBounded } from './pool';

export interface ConnectInput {
  connectionId: string;
  principal: Principal;
  /** The `channels` query parameter: comma-separated channels to subscribe at connect. */
  channels?: string | undefined;
  sourceIp?: string | undefined;
  userAgent?: string | undefined;
}

export type ConnectResult =
  | { ok: true; channels: string[] }
  | { ok: false; status: number; error: ProtocolError };

/**
 * `$connect`: checks the channels asked for and the user's connection limit, stores the connection and
 * subscribes it to those channels and to its own `user:{sub}`. A refusal carries the HTTP status API
 * Gateway answers the handshake with (400 bad channel list, 401/403 not allowed, 429 too many).
 */
export async function connect(deps: Deps, input: ConnectInput): Promise<ConnectResult> {
  const { principal, connectionId } = input;
  const { limits } = deps.config;
  let channels: Channel[];
  try {
    channels = connectChannels(input.channels, principal);
    if (channels.length > limits.channelsPerConnection) {
      throw new ProtocolError(
        'INVALID_MESSAGE',
        `at most ${limits.channelsPerConnection} channels per connection, ${channels.length} asked`,
      );
    }
    for (const channel of channels) await authorizeSubscribe(principal, channel, deps.messages);
  } catch (error) {
    const e = asProtocolError(error);
    return { ok: false, status: e.status, error: e };
  }

  if (principal.sub !== null && !(await underConnectionLimit(deps, principal.sub))) {
    const error = new ProtocolError(
      'TOO_MANY_CONNECTIONS',
      `user has ${limits.connectionsPerUser} open connections already`,
    );
    return { ok: false, status: error.status, error };
  }

  const now = deps.clock.now();
  await deps.connections.put({
    connectionId,
    principal,
    channels: [],
    connectedAt: now,
    expiresAt: Math.floor(now / 1000) + limits.connectionTtlSeconds,
    ...(input.sourceIp ? { sourceIp: input.sourceIp } : {}),
    ...(input.userAgent ? { userAgent: input.userAgent } : {}),
  });
  try {
    for (const channel of channels) await join(deps, connectionId, principal, channel, null);
  } catch (error) {
    await deps.connections.remove(connectionId).catch((e: unknown) =>
      // The join's error is what refuses the handshake; a record left behind expires with its TTL.
      deps.log.warn('could not undo a refused connection', { connectionId, error: String(e) }),
    );
    throw error;
  }
  return { ok: true, channels: channels.map((c) => c.id) };
}

function connectChannels(param: string | undefined, principal: Principal): Channel[] {
  const names = (param ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (principal.sub !== null) names.push(userChannel(principal.sub));
  return [...new Set(names)].map(parseChannel);
}

/**
 * A user at the limit may still connect when some of the connections on record are gone: each is asked
 * for with GET @connections and the gone ones removed, so sockets that died without `$disconnect` never
 * lock their user out.
 */
async function underConnectionLimit(deps: Deps, userId: string): Promise<boolean> {
  const max = deps.config.limits.connectionsPerUser;
  const ids = await deps.connections.connectionsOfUser(userId);
  if (ids.length < max) return true;
  const alive = await mapBounded(ids, 10, async (id) => {
    if (await deps.gateway.info(id)) return true;
    await deps.connections.remove(id);
    return false;
  });
  return alive.filter(Boolean).length < max;
}

/** `$disconnect` (and DELETE @connections): removes the connection and tells the channels it left. */
export async function disconnect(deps: Deps, connectionId: string): Promise<void> {
  const removed = await deps.connections.remove(connectionId);
  if (!removed) return;
  const { principal } = removed.record;
  for (const { channel, count } of removed.remaining) {
    const parsed = safeParseChannel(channel);
    const hooks = parsed && deps.hooks[parsed.namespace.name];
    if (!parsed || !hooks?.afterLeave) continue;
    await runHook(deps, `afterLeave ${channel}`, () =>
      hooks.afterLeave?.(deps, { channel: parsed, connectionId, principal, count, reason: 'disconnect' }),
    );
  }
}

/** Stores a subscription (the caller has authorized it) and runs the namespace's join hook. */
export async function join(
  deps: Deps,
  connectionId: string,
  principal: Principal,
  channel: Channel,
  ctx: FrameContext | null,
  options: { replayPending?: boolean } = {},
): Promise<SubscribeResult> {
  let result: SubscribeResult;
  try {
    result = await deps.connections.subscribe(
      connectionId,
      channel.id,
      deps.config.limits.channelsPerConnection,
      options,
    );
  } catch (error) {
    if (error instanceof ChannelLimitError) {
      throw new ProtocolError(
        'INVALID_MESSAGE',
        `channel limit reached: at most ${deps.config.limits.channelsPerConnection} channels per connection`,
        { cause: error },
      );
    }
    if (error instanceof ConnectionGoneError) {
      throw new ProtocolError('INTERNAL', 'connection is no longer registered; reconnect', { cause: error });
    }
    throw error;
  }
  const hooks = deps.hooks[channel.namespace.name];
  if (result.added && hooks?.afterJoin) {
    await runHook(deps, `afterJoin ${channel.id}`, () =>
      hooks.afterJoin?.(
        deps,
        { channel, connectionId, principal, count: result.count, atConnect: !ctx },
        ctx,
      ),
    );
  }
  return result;
}

export async function leave(deps: Deps, connectionId: string, principal: Principal, channel: Channel) {
  const result = await deps.connections.unsubscribe(connectionId, channel.id);
  const hooks = deps.hooks[channel.namespace.name];
  if (result.removed && hooks?.afterLeave) {
    await runHook(deps, `afterLeave ${channel.id}`, () =>
      hooks.afterLeave?.(deps, {
        channel,
        connectionId,
        principal,
        count: result.count,
        reason: 'unsubscribe',
      }),
    );
  }
  return result;
}

const safeParseChannel = (id: string): Channel | null => {
  try {
    return parseChannel(id);
  } catch {
    return null;
  }
};
