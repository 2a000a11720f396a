import { type DialectRegistry, renderPayload } from '../dialect';
import type { Clock, ConnectionStore, Gateway, Log, Metrics, Subscriber } from '../ports';
import type { FanOutSettings } from '../settings';
import { Pool } from './pool';
import { postWithRetry, removeGone } from './post';

/**
 * The one delivery path: every publisher (WebSocket frames, the HTTP API, the server library, the
 * features' pushes, presence and counter notices) ends here, through core/publish.ts or, for frames that
 * are not stored, directly. It posts one serialized frame per target (rendered once per seed dialect among
 * its recipients, core/dialect.ts; never for native ones) to a set of targets, a connection at
 * most once, with bounded concurrency, retries and gone handling, and answers one DeliveryReport.
 *
 * A queued tier for large audiences is meant to be added here and nowhere else: `reachChannel` is where a
 * channel target would be handed to fan-out workers (SQS) instead of being posted to in-process.
 * The delivery metrics are recorded here, the one place a delivery starts and ends: its report's counts
 * (Deliveries, GoneConnections, FailedPosts) and its duration (FanOutDuration).
 */

export interface DeliveryDeps {
  connections: ConnectionStore;
  gateway: Gateway;
  clock: Clock;
  log: Log;
  metrics: Metrics;
  config: { fanOut: FanOutSettings };
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

/** What became of a delivery. Every recipient is exactly one of delivered, gone or failed. */
export interface DeliveryReport {
  /** Connections the frame was meant for (each counted once, whichever targets it is on). */
  recipients: number;
  delivered: number;
  /** Connections found gone (410) and removed with their subscriptions. */
  gone: number;
  /** Posts that failed after retries, and gone connections that could not be removed (yet). */
  failed: number;
}

export interface DeliveryOptions {
  /** Connections that must not get it (the publisher itself, a joiner told directly). */
  exclude?: ReadonlySet<string>;
}

export const emptyReport = (): DeliveryReport => ({ recipients: 0, delivered: 0, gone: 0, failed: 0 });

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
 * A delivery's counts, and its duration when it had someone to post to (a publish to an empty channel is
 * one Query, not a fan-out: counted, its duration would only pull the percentiles down).
 */
function recordDelivery(metrics: Metrics, report: DeliveryReport, ms: number): void {
  metrics.count('Deliveries', report.delivered);
  metrics.count('GoneConnections', report.gone);
  metrics.count('FailedPosts', report.failed);
  if (report.recipients > 0) metrics.duration('FanOutDuration', ms);
}

/** Every subscriber of the channel, in-process. (A queued tier for large channels would branch here.) */
async function reachChannel(deps: DeliveryDeps, run: Run, target: ChannelTarget): Promise<void> {
  for await (const page of deps.connections.subscribers(target.channel, {
    pageSize: deps.config.fanOut.pageSize,
  })) {
    for (const sub of page) {
      if (target.seq !== undefined && sub.replayedTo !== undefined && target.seq <= sub.replayedTo) continue;
      await run.reach(sub.connectionId, target, sub);
    }
  }
}

/** One delivery under way: its report, the connections it reached, the pool that bounds its posts. */
class Run {
  readonly report = emptyReport();
  readonly #reached = new Set<string>();
  readonly #gone: { connectionId: string; channel: string | undefined }[] = [];
  readonly #pool: Pool;
  /** Per target, its payload in each dialect met so far: rendered once, whatever the audience. */
  readonly #rendered = new Map<Target, Map<string, Uint8Array | null>>();

  constructor(
    private readonly deps: DeliveryDeps,
    private readonly options: DeliveryOptions,
  ) {
    this.#pool = new Pool(deps.config.fanOut.concurrency);
  }

  /** Counts the connection and starts its post (held back while the pool is full). */
  async reach(connectionId: string, target: Target, sub?: Subscriber): Promise<void> {
    if (this.options.exclude?.has(connectionId) || this.#reached.has(connectionId)) return;
    this.#reached.add(connectionId);
    this.report.recipients++;
    await this.#pool.run(() => this.#post(connectionId, target, sub));
  }

  async #post(connectionId: string, target: Target, sub: Subscriber | undefined): Promise<void> {
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
      const outcome = await postWithRetry(deps, connectionId, payload);
      if (outcome === 'delivered') report.delivered++;
      else if (outcome === 'gone') this.#gone.push({ connectionId, channel: target.channel });
      else report.failed++;
    } catch (error) {
      // Every recipient ends up delivered, gone or failed: a fault here is one failed delivery.
      report.failed++;
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
    for (const { connectionId, channel } of this.#gone) {
      await this.#pool.run(async () => {
        try {
          if (await removeGone(this.deps, connectionId, channel)) this.report.gone++;
          else this.report.failed++; // still inside its $connect: it did not get the frame
        } catch (error) {
          // Not removed: counted failed (it did not get the frame); its $disconnect or TTL removes it.
          this.report.failed++;
          this.deps.log.warn('could not remove a gone connection', { connectionId, error: String(error) });
        }
      });
    }
    await this.#pool.drain();
    return this.report;
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
