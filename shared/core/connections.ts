import { type AfterConnectJob, afterConnectJob, countsWanted } from './after-connect';
import type { Principal } from './auth/principal';
import {
  authorizeSubscribe,
  type Channel,
  type ChannelAccess,
  type ChannelRegistry,
  parseStored,
  userChannel,
} from './channels';
import { mapBounded } from './delivery/pool';
import { type DialectRegistry, dialectWelcomes } from './dialect';
import { asProtocolError, ProtocolError } from './errors';
import {
  ChannelLimitError,
  type Clock,
  ConnectAbandonedError,
  ConnectionGoneError,
  type ConnectionStore,
  type Gateway,
  type Log,
  type Metrics,
  type PutResult,
  type SubscribeResult,
} from './ports';
import type { FrameContext } from './session/context';
import { type ChannelHookRegistry, runHook } from './session/hooks';
import type { Limits } from './settings';

/** Joining and leaving channels: the subscription, then the namespace's hooks. */
export interface MembershipDeps {
  connections: ConnectionStore;
  hooks: ChannelHookRegistry;
  log: Log;
  config: { limits: Pick<Limits, 'channelsPerConnection'> };
}

export interface ConnectDeps {
  connections: Pick<ConnectionStore, 'put' | 'remove' | 'connectionsOfUser'>;
  hooks: ChannelHookRegistry;
  gateway: Pick<Gateway, 'info'>;
  clock: Clock;
  metrics: Metrics;
  channels: ChannelRegistry;
  access: ChannelAccess;
  dialects: DialectRegistry;
  config: {
    limits: Pick<Limits, 'channelsPerConnection' | 'connectionsPerUser' | 'connectionTtlSeconds'>;
  };
}

export interface DisconnectDeps {
  connections: Pick<ConnectionStore, 'remove' | 'countSubscribers'>;
  channels: ChannelRegistry;
  hooks: ChannelHookRegistry;
  log: Log;
  metrics: Metrics;
}

export interface ConnectInput {
  connectionId: string;
  principal: Principal;
  /** The `channels` query parameter: comma-separated channels to subscribe at connect. */
  channels?: string | undefined;
  /** The `dialect` query parameter (set by the seed paths): a marker of deps.dialects, or absent. */
  dialect?: string | undefined;
  sourceIp?: string | undefined;
  userAgent?: string | undefined;
}

export interface ConnectOptions {
  /** Milliseconds left before the Lambda's timeout (its context's getRemainingTimeInMillis); no limit when absent. */
  remainingMs?: () => number;
}

export type ConnectResult =
  | {
      ok: true;
      channels: string[];
      /** What is left to do once the handshake is over (core/after-connect.ts); null when nothing. */
      afterConnect: AfterConnectJob | null;
    }
  | { ok: false; status: number; error: ProtocolError };

/**
 * Time a `$connect` keeps in hand to undo its writes: with less left it stops and undoes them, so that a
 * Lambda stopped at its timeout never leaves a connection counted that API Gateway refused.
 */
export const CONNECT_UNDO_RESERVE_MS = 3_000;

/**
 * `$connect`: checks the channels asked for and the user's connection limit, then stores the connection
 * subscribed to those channels and to its own `user:{sub}` in one constant round of writes
 * (ConnectionStore.put), which undoes itself if it fails or runs out of time. Nothing that grows with a
 * channel's size runs here: the join hooks run after it (`afterConnect` of the result). A refusal carries
 * the HTTP status API Gateway answers the handshake with (400 bad channel list, 401/403 not allowed, 429
 * too many, 500 out of time).
 */
export async function connect(
  deps: ConnectDeps,
  input: ConnectInput,
  options: ConnectOptions = {},
): Promise<ConnectResult> {
  const { principal, connectionId } = input;
  const { limits } = deps.config;
  let channels: Channel[];
  try {
    channels = connectChannels(deps.channels, input.channels, principal);
    if (channels.length > limits.channelsPerConnection) {
      throw new ProtocolError(
        'INVALID_MESSAGE',
        `at most ${limits.channelsPerConnection} channels per connection, ${channels.length} asked`,
      );
    }
    for (const channel of channels) await authorizeSubscribe(principal, channel, deps.access);
    if (input.dialect !== undefined && !deps.dialects[input.dialect]) {
      throw new ProtocolError('INVALID_MESSAGE', `unknown dialect "${input.dialect.slice(0, 40)}"`);
    }
  } catch (error) {
    return refuse(deps, asProtocolError(error));
  }

  if (principal.sub !== null && !(await underConnectionLimit(deps, principal.sub))) {
    return refuse(
      deps,
      new ProtocolError(
        'TOO_MANY_CONNECTIONS',
        `user has ${limits.connectionsPerUser} open connections already`,
      ),
    );
  }

  const now = deps.clock.now();
  const ids = channels.map((c) => c.id);
  const { remainingMs } = options;
  let stored: PutResult;
  try {
    stored = await deps.connections.put(
      {
        connectionId,
        principal,
        channels: ids,
        connectedAt: now,
        expiresAt: Math.floor(now / 1000) + limits.connectionTtlSeconds,
        ...(input.sourceIp ? { sourceIp: input.sourceIp } : {}),
        ...(input.userAgent ? { userAgent: input.userAgent } : {}),
        ...(input.dialect ? { dialect: input.dialect } : {}),
      },
      {
        ...(remainingMs ? { stop: () => remainingMs() < CONNECT_UNDO_RESERVE_MS } : {}),
        count: countsWanted(deps, channels),
      },
    );
  } catch (error) {
    if (!(error instanceof ConnectAbandonedError)) throw error;
    return refuse(
      deps,
      new ProtocolError('INTERNAL', 'the connection could not be stored in time; try again', {
        cause: error,
      }),
    );
  }
  deps.metrics.count('Connects');
  const greets = dialectWelcomes(input.dialect === undefined ? undefined : deps.dialects[input.dialect]);
  const job = { connectionId, principal, channels: ids };
  return { ok: true, channels: ids, afterConnect: afterConnectJob(deps, job, channels, stored, greets) };
}

function refuse(deps: ConnectDeps, error: ProtocolError): ConnectResult {
  deps.metrics.countBy('ConnectRefusals', String(error.status));
  return { ok: false, status: error.status, error };
}

function connectChannels(
  registry: ChannelRegistry,
  param: string | undefined,
  principal: Principal,
): Channel[] {
  const names = (param ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (principal.sub !== null) names.push(userChannel(principal.sub));
  return [...new Set(names)].map((name) => registry.parse(name));
}

/**
 * A user at the limit may still connect when some of the connections on record are gone: each is asked
 * for with GET @connections and the gone ones removed, so sockets that died without `$disconnect` never
 * lock their user out.
 */
async function underConnectionLimit(deps: ConnectDeps, userId: string): Promise<boolean> {
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

/**
 * `$disconnect` (and DELETE @connections): removes the connection (ConnectionStore.remove: its record,
 * then everything else at once) and runs the leave hooks of the channels it left, in parallel.
 */
export async function disconnect(deps: DisconnectDeps, connectionId: string): Promise<void> {
  const removed = await deps.connections.remove(connectionId);
  if (!removed) return; // removed already (by DELETE /v1/connections, or a fan-out that found it gone)
  deps.metrics.count('Disconnects');
  const { principal } = removed.record;
  await mapBounded(removed.left, LEAVE_HOOKS_AT_ONCE, async (id) => {
    const channel = parseStored(deps.channels, id);
    const hook = channel && deps.hooks[channel.namespace.name]?.afterLeave;
    if (!channel || !hook) return;
    await runHook(deps.log, `afterLeave ${id}`, async () => {
      const count = await deps.connections.countSubscribers(id);
      await hook({ channel, connectionId, principal, count, reason: 'disconnect' });
    });
  });
}

/** Leave hooks of one disconnect running at once (a connection may be on up to 100 channels). */
const LEAVE_HOOKS_AT_ONCE = 8;

/** Stores a subscription (the caller has authorized it) and runs the namespace's join hook. */
export async function join(
  deps: MembershipDeps,
  connectionId: string,
  principal: Principal,
  channel: Channel,
  ctx: FrameContext | null,
  options: { replayPending?: boolean } = {},
): Promise<SubscribeResult> {
  const max = deps.config.limits.channelsPerConnection;
  let result: SubscribeResult;
  try {
    result = await deps.connections.subscribe(connectionId, channel.id, max, options);
  } catch (error) {
    if (error instanceof ChannelLimitError) {
      throw new ProtocolError(
        'INVALID_MESSAGE',
        `channel limit reached: at most ${max} channels per connection`,
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
    await runHook(deps.log, `afterJoin ${channel.id}`, () =>
      hooks.afterJoin?.({ channel, connectionId, principal, count: result.count, atConnect: !ctx }, ctx),
    );
  }
  return result;
}

export async function leave(
  deps: Omit<MembershipDeps, 'config'>,
  connectionId: string,
  principal: Principal,
  channel: Channel,
) {
  const result = await deps.connections.unsubscribe(connectionId, channel.id);
  const hooks = deps.hooks[channel.namespace.name];
  if (result.removed && hooks?.afterLeave) {
    await runHook(deps.log, `afterLeave ${channel.id}`, () =>
      hooks.afterLeave?.({ channel, connectionId, principal, count: result.count, reason: 'unsubscribe' }),
    );
  }
  return result;
}
