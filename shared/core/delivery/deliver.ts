import { type DialectRegistry, renderPayload } from '../dialect';
import type { Clock, ConnectionStore, FanOutQueue, Gateway, Log, Metrics, Subscriber } from '../ports';
import type { FanOutSettings } from '../settings';
import { queueChannel } from './fan-out-queue';
import type { PacedResult } from './pacing';
import { Pool } from './pool';
import { postWithRetry, removeGone } from './post';

/**
 * The one delivery path: every publisher (WebSocket frames, the HTTP API, the server library, the
 * features' pushes, presence and counter notices) ends here, through core/publish.ts or, for frames that
 * are not stored, directly. It posts one serialized frame per target (rendered once per seed dialect among
 * its recipients, core/dialect.ts; never for native ones) to a set of targets, a connection at
 * most once, with bounded concurrency, retries and gone handling, and answers one DeliveryReport.
 *
 * Two tiers, chosen per channel target (`reachChannel`): an audience up to `queueThreshold` subscribers is
 * posted to in-process, here; a larger one is handed to the fan-out workers through their queue
 * (fan-out-queue.ts, worker.ts), and the report counts it `queued`. Without a queue (a server library given
 * none, tests) every audience is posted to in-process.
 *
 * The delivery metrics are recorded here, where a delivery (or a worker's share of one,
 * `deliverToSubscribers`) starts and ends: its report's counts (Deliveries, GoneConnections, FailedPosts,
 * QueuedRecipients) and its duration (FanOutDuration).
 */

export interface DeliveryDeps {
  connections: ConnectionStore;
  gateway: Gateway;
  clock: Clock;
  log: Log;
  metrics: Metrics;
  config: { fanOut: Pick<FanOutSettings, 'concurrency' | 'pageSize' | 'queueThreshold'> };
  /** The fan-out workers' queue; without one, every audience is posted to in-process. */
  fanOutQueue?: FanOutQueue | undefined;
  /** The seed dialects: a subscriber that speaks one gets the frame in its shape (core/dialect.ts). */
  dialects: DialectRegistry;
}

/** Where one frame goes: every subscriber of a channel, or exactly the connections named. */
export type Target = ChannelTarget | ConnectionsTarget;

export interface ChannelTarget {
  channel: string;
  /** The frame, serialized once; every post sends these same bytes. */
  payload: Uint8Array;
  /** The frame's seq: a subscriber whose recovery replay covers it gets it from the replay, not here. */
  seq?: number | undefined;
}

export interface ConnectionsTarget {
  connectionIds: readonly string[];
  payload: Uint8Array;
  /** The channel the frame names, if any (a gone connection's subscription there is removed too). */
  channel?: string | undefined;
  /** The seed dialects of those connections that speak one, when the caller read their records. */
  dialects?: ReadonlyMap<string, string> | undefined;
}

/** What became of a delivery. Every recipient is exactly one of delivered, gone, failed or queued. */
export interface DeliveryReport {
  /**
   * Connections the frame was meant for (each counted once, whichever targets it is on; a queued channel
   * counts its subscriber count).
   */
  recipients: number;
  delivered: number;
  /** Connections found gone (410) and removed with their subscriptions. */
  gone: number;
  /** Posts that failed after retries, and gone connections that could not be removed (yet). */
  failed: number;
  /** Handed to the fan-out workers: they deliver it after this report. */
  queued: number;
}

export interface DeliveryOptions {
  /** Connections that must not get it (the publisher itself, a joiner told directly). */
  exclude?: ReadonlySet<string>;
  /**
   * A channel target with more subscriptions than this (the excluded counted) gets nothing: its
   * subscribers are all read before the first post, and the target is dropped, unposted and uncounted,
   * when there are more. For notices that only make sense in a small channel (a room's presence): their
   * cost grows with the square of the channel, and the count that decided to send one may be out of date.
   */
  maxAudience?: number;
  /**
   * Only a channel's subscribers whose connection was there by this time (epoch ms: `connectedAt` at most
   * this; one stored without it counts as there) get it: news of a join at `$connect` is for those who
   * were there before it, not for those who came after and find the joiner there already. Applied where
   * the delivery posts itself (a capped audience, or one under the queue's threshold).
   */
  connectedBy?: number;
}

export const emptyReport = (): DeliveryReport => ({
  recipients: 0,
  delivered: 0,
  gone: 0,
  failed: 0,
  queued: 0,
});

/**
 * Delivers to the targets in order: a connection on several of them gets the frame of the first, once.
 * Subscribers are read page by page (a Query per page, never a Scan) while at most `concurrency` posts are
 * in flight; connections the Management API reports gone are removed afterwards.
 */
export async function deliver(
  deps: DeliveryDeps,
  targets: readonly Target[],
  options: DeliveryOptions = {},
): Promise<DeliveryReport> {
  const started = deps.clock.now();
  const run = new Run(deps, options);
  for (const target of targets) {
    if ('connectionIds' in target) {
      for (const connectionId of target.connectionIds) await run.reach(connectionId, target);
    } else {
      await reachChannel(deps, run, target);
    }
  }
  const report = await run.finish();
  recordDelivery(deps.metrics, report, deps.clock.now() - started);
  return report;
}

/**
 * A delivery's counts, and its duration when it posted to everyone itself (a publish to an empty channel
 * is one Query, and one that queued its audience only sent a message: counted, their durations would only
 * pull the percentiles down).
 */
function recordDelivery(metrics: Metrics, report: DeliveryReport, ms: number): void {
  metrics.count('Deliveries', report.delivered);
  metrics.count('GoneConnections', report.gone);
  metrics.count('FailedPosts', report.failed);
  metrics.count('QueuedRecipients', report.queued);
  if (report.recipients > 0 && report.queued === 0) metrics.duration('FanOutDuration', ms);
}

/**
 * Every subscriber of the channel: handed to the fan-out workers when the channel has more than
 * `queueThreshold` (and there is a queue), posted to in-process otherwise. A connection on this channel and
 * on another target of the same publish gets the frame once when both are delivered in-process; a queued
 * channel's workers do not know the other targets (PROTOCOL.md: clients drop repeats by `id`).
 */
async function reachChannel(deps: DeliveryDeps, run: Run, target: ChannelTarget): Promise<void> {
  const queue = deps.fanOutQueue;
  const cap = run.options.maxAudience;
  const { pageSize, queueThreshold } = deps.config.fanOut;
  // A capped audience at or under the queue's threshold is posted to in-process whatever its count says.
  if (queue && (cap === undefined || cap > queueThreshold)) {
    const audience = await deps.connections.countSubscribers(target.channel);
    if (cap !== undefined && audience > cap) return;
    if (audience > queueThreshold) {
      await queueChannel({ connections: deps.connections, fanOutQueue: queue }, target, run.options.exclude);
      run.report.recipients += audience;
      run.report.queued += audience;
      return;
    }
  }
  const { connectedBy } = run.options;
  const reach = async (sub: Subscriber) => {
    if (target.seq !== undefined && sub.replayedTo !== undefined && target.seq <= sub.replayedTo) return;
    if (connectedBy !== undefined && sub.connectedAt !== undefined && sub.connectedAt > connectedBy) return;
    await run.reach(sub.connectionId, target, sub);
  };
  if (cap === undefined) {
    for await (const page of deps.connections.subscribers(target.channel, { pageSize })) {
      for (const sub of page) await reach(sub);
    }
    return;
  }
  const audience: Subscriber[] = [];
  for await (const page of deps.connections.subscribers(target.channel, {
    pageSize: Math.min(pageSize, cap + 1),
  })) {
    audience.push(...page);
    if (audience.length > cap) return;
  }
  for (const sub of audience) await reach(sub);
}

/**
 * A fan-out worker's share of a queued delivery: the frame to these subscribers of the channel, each post
 * made by `post` (pacing.ts: paced to the worker's share of the quota). The connections `post` could not
 * reach in time are counted `queued` and listed in `later`, for a continuation; `failed` lists those that
 * failed for good. In the `finalRound` there is no continuation: what it could not reach is failed, and
 * counted so in the metrics.
 */
export async function deliverToSubscribers(
  deps: DeliveryDeps,
  target: ChannelTarget,
  subscribers: readonly Subscriber[],
  post: Poster,
  { finalRound = false }: { finalRound?: boolean } = {},
): Promise<{ report: DeliveryReport; later: string[]; failed: string[] }> {
  const started = deps.clock.now();
  const run = new Run(deps, {}, post);
  for (const sub of subscribers) await run.reach(sub.connectionId, target, sub);
  const report = await run.finish();
  if (finalRound) run.giveUpLater();
  recordDelivery(deps.metrics, report, deps.clock.now() - started);
  return { report, later: run.later, failed: run.failed };
}

/** Makes one post: the in-process tier retries (post.ts), a worker paces as well (pacing.ts). */
export type Poster = (connectionId: string, payload: Uint8Array) => Promise<PacedResult>;

/** One delivery under way: its report, the connections it reached, the pool that bounds its posts. */
class Run {
  readonly report = emptyReport();
  /** Connections the poster passed on (`later`), and those that failed for good. */
  readonly later: string[] = [];
  readonly failed: string[] = [];
  readonly #reached = new Set<string>();
  readonly #gone: { connectionId: string; channel: string | undefined; connectedAt?: number | undefined }[] =
    [];
  readonly #pool: Pool;
  readonly #post: Poster;
  /** Per target, its payload in each dialect met so far: rendered once, whatever the audience. */
  readonly #rendered = new Map<Target, Map<string, Uint8Array | null>>();

  constructor(
    private readonly deps: DeliveryDeps,
    readonly options: DeliveryOptions,
    post?: Poster,
  ) {
    this.#pool = new Pool(deps.config.fanOut.concurrency);
    this.#post = post ?? ((connectionId, payload) => postWithRetry(deps, connectionId, payload));
  }

  /** Counts the connection and starts its post (held back while the pool is full). */
  async reach(connectionId: string, target: Target, sub?: Subscriber): Promise<void> {
    if (this.options.exclude?.has(connectionId) || this.#reached.has(connectionId)) return;
    this.#reached.add(connectionId);
    this.report.recipients++;
    await this.#pool.run(() => this.#reach(connectionId, target, sub));
  }

  async #reach(connectionId: string, target: Target, sub: Subscriber | undefined): Promise<void> {
    const { deps, report } = this;
    try {
      if (sub?.replayPending && 'seq' in target && target.seq !== undefined) {
        if (!(await settleReplay(deps, target.channel, target.seq, sub))) {
          report.recipients--; // its replay covers it after all, or it left meanwhile
          return;
        }
      }
      const dialect = sub
        ? sub.dialect
        : 'dialects' in target
          ? target.dialects?.get(connectionId)
          : undefined;
      const payload = dialect === undefined ? target.payload : this.#inDialect(target, dialect);
      if (payload === null) {
        report.recipients--; // its dialect has no such frame: it was never meant for it
        return;
      }
      const outcome = await this.#post(connectionId, payload);
      if (outcome === 'delivered') report.delivered++;
      else if (outcome === 'gone')
        this.#gone.push({ connectionId, channel: target.channel, connectedAt: sub?.connectedAt });
      else if (outcome === 'later') {
        report.queued++;
        this.later.push(connectionId);
      } else this.#fail(connectionId);
    } catch (error) {
      // Every recipient ends up delivered, gone, failed or queued: a fault here is one failed delivery.
      this.#fail(connectionId);
      deps.log.error('delivery to a connection failed', {
        connectionId,
        channel: target.channel,
        error: error instanceof Error ? error.stack : String(error),
      });
    }
  }

  /** The target's frame as a dialect renders it (an unknown dialect: as it is). */
  #inDialect(target: Target, name: string): Uint8Array | null {
    const dialect = this.deps.dialects[name];
    if (!dialect) return target.payload;
    let byDialect = this.#rendered.get(target);
    if (!byDialect) {
      byDialect = new Map();
      this.#rendered.set(target, byDialect);
    }
    let payload = byDialect.get(name);
    if (payload === undefined) {
      payload = renderPayload(dialect, target.payload);
      byDialect.set(name, payload);
    }
    return payload;
  }

  async finish(): Promise<DeliveryReport> {
    await this.#pool.drain();
    for (const { connectionId, channel, connectedAt } of this.#gone) {
      await this.#pool.run(async () => {
        try {
          if (await removeGone(this.deps, connectionId, channel, connectedAt)) this.report.gone++;
          else this.#fail(connectionId); // still inside its $connect: it did not get the frame
        } catch (error) {
          // Not removed: counted failed (it did not get the frame); its $disconnect or TTL removes it.
          this.#fail(connectionId);
          this.deps.log.warn('could not remove a gone connection', { connectionId, error: String(error) });
        }
      });
    }
    await this.#pool.drain();
    return this.report;
  }

  /** The connections passed on become failed ones: there is no one left to pass them on to. */
  giveUpLater(): void {
    this.report.queued -= this.later.length;
    this.report.failed += this.later.length;
    this.failed.push(...this.later.splice(0));
  }

  #fail(connectionId: string): void {
    this.report.failed++;
    this.failed.push(connectionId);
  }
}

/** Waits between re-reads of a subscription whose recovery has not yet said what it replays (~0.6 s in all). */
const REPLAY_SETTLE_MS = [10, 20, 40, 80, 160, 320];

/**
 * A subscription stored by a `subscribe` with `since` whose replay range is not known yet: re-read it until
 * it is, then reach it only with what the replay does not cover. True: post it live. If the mark never
 * comes (its subscribe failed half-way), it is posted: a duplicate rather than a loss.
 */
async function settleReplay(
  deps: DeliveryDeps,
  channel: string,
  seq: number,
  sub: Subscriber,
): Promise<boolean> {
  for (const wait of REPLAY_SETTLE_MS) {
    await deps.clock.sleep(wait);
    const now = await deps.connections.getSubscription(channel, sub.connectionId);
    if (!now) return false; // unsubscribed or gone meanwhile
    if (!now.replayPending) return !(now.replayedTo !== undefined && seq <= now.replayedTo);
  }
  deps.log.warn('recovery mark never came; posting live', { connectionId: sub.connectionId, channel });
  return true;
}
