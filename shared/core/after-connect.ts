import type { Principal } from './auth/principal';
import { type Channel, type ChannelRegistry, parseStored } from './channels';
import { mapBounded } from './delivery/pool';
import { postWithRetry } from './delivery/post';
import type { Dialect, DialectRegistry } from './dialect';
import type { Clock, ConnectionStore, Gateway, Log, PutResult } from './ports';
import { isoTime } from './protocol';
import { FrameContext } from './session/context';
import { type ChannelHookRegistry, type JoinEvent, runHook } from './session/hooks';

/**
 * The work of a `$connect` that must not be inside it: `$connect` does a constant amount of work whatever
 * the size of the channels it joins (stores the connection, its subscriptions and counts) and hands the
 * rest to the after-connect Lambda (lambdas/after-connect.ts, invoked asynchronously), which runs, per
 * channel joined at connect:
 *  - the namespace's `welcome` hook: frames for the new connection, posted in order with a short, bounded
 *    retry on 410, since API Gateway answers 410 until `$connect` has returned;
 *  - the namespace's `afterJoin` hook with `atConnect: true`: what is told to the others (a room's
 *    presence notice, a counter's `user_count_update`), whose cost grows with the channel.
 * and, for a connection of a seed dialect (core/dialect.ts), the dialect's server-first greeting (seed
 * 004's `connection.established`, 001's `connection_status`, 001's counter total), rendered in its shape.
 */
export interface AfterConnectJob {
  connectionId: string;
  principal: Principal;
  /** The channels `$connect` subscribed it to. */
  channels: string[];
  /**
   * Connections per channel just after `$connect`'s join, the joiner included, where `$connect` knew it
   * exactly (a channel of one shard); the others are read when the job runs.
   */
  counts?: Record<string, number>;
}

/** Does a connect to these channels leave work for later? Only where a namespace has a join hook. */
export function hasAfterConnectWork(hooks: ChannelHookRegistry, channels: readonly Channel[]): boolean {
  return channels.some((c) => {
    const h = hooks[c.namespace.name];
    return h?.afterJoin !== undefined || h?.welcome !== undefined;
  });
}

/**
 * The channels whose whole count `$connect` asks `ConnectionStore.put` for (PutOptions.count): those of
 * several shards whose hooks could be decided from it (a `joinWork` range, no welcome). Read beside the
 * join's writes, it tells a join into a room above its presence limit that it leaves no work.
 */
export function countsWanted(
  deps: { hooks: ChannelHookRegistry; channels: Pick<ChannelRegistry, 'subscriberShards'> },
  channels: readonly Channel[],
): string[] {
  return channels
    .filter((channel) => {
      const hooks = deps.hooks[channel.namespace.name];
      return (
        hooks?.joinWork !== undefined &&
        hooks.welcome === undefined &&
        deps.channels.subscriberShards(channel.id) > 1
      );
    })
    .map((channel) => channel.id);
}

/**
 * The job a `$connect` to these channels leaves, or null when it leaves nothing: no channel with a join
 * hook and no greeting of a seed dialect, or only hooks whose `joinWork` range the channel is known to be
 * outside. What `ConnectionStore.put` learnt (PutResult) says where the channel is: its whole count where
 * it is known (`joined` for a channel of one shard, exact; `counts` for a sharded one, read beside the join,
 * which decides unless it is below the range; handed on in the job, not read again), else a lower bound
 * (`joined`, the joiner's shard), which can only tell that the channel is above the range.
 */
export function afterConnectJob(
  deps: { hooks: ChannelHookRegistry; channels: Pick<ChannelRegistry, 'subscriberShards'> },
  job: AfterConnectJob,
  channels: readonly Channel[],
  stored: PutResult,
  greets: boolean,
): AfterConnectJob | null {
  const counts: Record<string, number> = {};
  let work = greets;
  for (const channel of channels) {
    const hooks = deps.hooks[channel.namespace.name];
    if (!hooks || !hasAfterConnectWork(deps.hooks, [channel])) continue;
    const range = hooks.welcome === undefined ? hooks.joinWork : undefined;
    const shard = stored.joined[channel.id];
    // A one-shard channel's ADD answers its count; a sharded one's is its shards' counts read with the join.
    const exact = deps.channels.subscriberShards(channel.id) === 1 ? shard : undefined;
    let whole = exact ?? stored.counts[channel.id];
    // Read beside the join, the other shards may miss a join made at the same moment (two into an empty
    // room could each read 1): a count below the range does not decide, and the job reads it again.
    if (exact === undefined && whole !== undefined && range && whole < range.min) whole = undefined;
    if (whole !== undefined) counts[channel.id] = whole;
    if (!range) work = true;
    else if (whole !== undefined) work ||= whole >= range.min && whole <= range.max;
    // The joiner's shard alone is a lower bound: it can only show the channel above the range.
    else work ||= shard === undefined || shard <= range.max;
  }
  if (!work) return null;
  return Object.keys(counts).length > 0 ? { ...job, counts } : job;
}

/** Starts an after-connect job elsewhere (the after-connect Lambda's asynchronous Invoke, shared/adapters/lambda.ts). */
export interface AfterConnectStarter {
  /** Resolves once the job is accepted (not run); `signal` aborts the hand-over. */
  start(job: AfterConnectJob & { endpoint: string }, signal?: AbortSignal): Promise<void>;
}

export interface AfterConnectDeps {
  connections: Pick<ConnectionStore, 'get' | 'countSubscribers'>;
  channels: ChannelRegistry;
  hooks: ChannelHookRegistry;
  gateway: Gateway;
  clock: Clock;
  log: Log;
  /** The seed dialects: a connection that speaks one is greeted in it (core/dialect.ts). */
  dialects: DialectRegistry;
}

export interface AfterConnectReport {
  /** False when the connection was gone already (closed, or its `$connect` undone): nothing was run. */
  ran: boolean;
  /** Welcome frames posted to the new connection. */
  welcomed: number;
}

/** Waits before each new try of a welcome post that found the connection not open yet (~1.5 s in all). */
export const WELCOME_RETRY_MS = [50, 100, 200, 400, 800] as const;

export async function afterConnect(
  deps: AfterConnectDeps,
  job: AfterConnectJob,
): Promise<AfterConnectReport> {
  const { connectionId, principal } = job;
  // A socket closed at once (or a $connect undone at its timeout) is not announced after its leave.
  const record = await deps.connections.get(connectionId);
  if (!record) return { ran: false, welcomed: 0 };
  const dialect = record.dialect === undefined ? undefined : deps.dialects[record.dialect];
  const joins = job.channels
    .map((id) => parseStored(deps.channels, id))
    .filter((c): c is Channel => c !== null && hasAfterConnectWork(deps.hooks, [c]));
  const events = await mapBounded(joins, 8, async (channel): Promise<JoinEvent> => {
    const count = job.counts?.[channel.id] ?? (await deps.connections.countSubscribers(channel.id));
    const joinedAt = record.connectedAt;
    return { channel, connectionId, principal, count: Math.max(1, count), atConnect: true, joinedAt };
  });
  // The new connection's frames and the others' notices go at the same time: neither waits for the other.
  const [welcomed] = await Promise.all([
    welcomeFrames(deps, job, events, dialect).then((frames) => postWelcome(deps, connectionId, frames)),
    mapBounded(events, 8, (event) => {
      const hook = deps.hooks[event.channel.namespace.name]?.afterJoin;
      return hook
        ? runHook(deps.log, `afterJoin ${event.channel.id}`, () => hook(event, null))
        : Promise.resolve();
    }),
  ]);
  return { ran: true, welcomed };
}

/**
 * Every welcome frame, serialized: a seed dialect's greeting and, where it asks, its channels' answers to
 * `hello` (core/dialect.ts); then the namespaces' welcome hooks, channel by channel in the order they were
 * joined. A dialect connection gets each in its dialect's shape.
 */
async function welcomeFrames(
  deps: AfterConnectDeps,
  job: AfterConnectJob,
  events: readonly JoinEvent[],
  dialect: Dialect | undefined,
): Promise<string[]> {
  const ctx = new FrameContext(job.connectionId, job.principal, deps.clock, dialect);
  if (dialect?.greet) {
    const timestamp = isoTime(deps.clock.now());
    for (const frame of dialect.greet({ ...job, timestamp })) ctx.reply(frame);
  }
  if (dialect?.helloAtConnect) {
    for (const id of job.channels) {
      const channel = parseStored(deps.channels, id);
      const hook = channel && deps.hooks[channel.namespace.name]?.onHello;
      if (channel && hook) await runHook(deps.log, `onHello ${id}`, () => hook(channel, ctx));
    }
  }
  const lists = await mapBounded(events, 8, async (event) => {
    const hook = deps.hooks[event.channel.namespace.name]?.welcome;
    if (!hook) return [];
    try {
      return await hook(event);
    } catch (error) {
      deps.log.error(`channel hook failed: welcome ${event.channel.id}`, {
        error: error instanceof Error ? error.stack : String(error),
      });
      return [];
    }
  });
  for (const frame of lists.flat()) ctx.reply(frame);
  return ctx.replies;
}

/** Posts the frames in order; a connection still not open after the retries (or gone) gets none of the rest. */
async function postWelcome(
  deps: AfterConnectDeps,
  connectionId: string,
  frames: readonly string[],
): Promise<number> {
  const encoder = new TextEncoder();
  let posted = 0;
  for (const frame of frames) {
    const outcome = await postToNewConnection(deps, connectionId, encoder.encode(frame));
    if (outcome !== 'delivered') {
      deps.log.info('welcome not delivered', { connectionId, outcome, left: frames.length - posted });
      break;
    }
    posted++;
  }
  return posted;
}

/**
 * A post to a connection whose `$connect` may not have returned yet: 410 is retried a few times (the
 * socket is about to open) before it counts as gone. Never removes the connection: a 410 here says
 * nothing about it being dead.
 */
export async function postToNewConnection(
  deps: { gateway: Gateway; clock: Clock; log: Log },
  connectionId: string,
  payload: Uint8Array,
): Promise<'delivered' | 'gone' | 'failed'> {
  for (let attempt = 0; ; attempt++) {
    const outcome = await postWithRetry(deps, connectionId, payload);
    if (outcome !== 'gone' || attempt >= WELCOME_RETRY_MS.length) return outcome;
    await deps.clock.sleep(WELCOME_RETRY_MS[attempt]!);
  }
}
