import type { Clock, ConnectionStore, Gateway, Log, Subscriber } from '../ports';
import { Pool } from './pool';

export interface FanOutDeps {
  connections: ConnectionStore;
  gateway: Gateway;
  clock: Clock;
  log: Log;
  concurrency: number;
  pageSize: number;
}

export interface FanOutInput {
  channel: string;
  /** The frame, serialized once by the caller; every post sends these same bytes. */
  payload: Uint8Array;
  /** The message's seq, for skipping subscribers whose recovery replay covers it. */
  seq?: number;
  exclude?: ReadonlySet<string>;
  /**
   * Connections that already got this event through another target of the same publish: skipped here, and
   * every connection posted to here is added, so one event reaches a connection once.
   */
  reached?: Set<string>;
}

export interface FanOutResult {
  /** Connections the message was meant for. */
  recipients: number;
  delivered: number;
  /** Connections found gone (410) and removed with their subscriptions. */
  gone: number;
  /** Posts that failed for another reason, after retries. */
  failed: number;
}

const MAX_ATTEMPTS = 4;
const BASE_BACKOFF_MS = 20;

/**
 * Delivers one serialized frame to every subscriber of a channel: Queries the subscribers page by page
 * (never a Scan), posts with at most `concurrency` requests in flight, retries throttling and 5xx with
 * backoff, and removes exactly the connections the Management API reports gone, with their subscriptions.
 */
export async function fanOut(deps: FanOutDeps, input: FanOutInput): Promise<FanOutResult> {
  const result: FanOutResult = { recipients: 0, delivered: 0, gone: 0, failed: 0 };
  const gone: string[] = [];
  const pool = new Pool(deps.concurrency);

  for await (const page of deps.connections.subscribers(input.channel, deps.pageSize)) {
    for (const sub of page) {
      if (!shouldReach(sub, input)) continue;
      input.reached?.add(sub.connectionId);
      result.recipients++;
      await pool.run(async () => {
        try {
          if (sub.replayPending && input.seq !== undefined && !(await settleReplay(deps, input, sub))) {
            result.recipients--;
            return;
          }
          const outcome = await postWithRetry(deps, sub.connectionId, input.payload);
          if (outcome === 'delivered') result.delivered++;
          else if (outcome === 'gone') gone.push(sub.connectionId);
          else result.failed++;
        } catch (error) {
          // Every recipient ends up delivered, gone or failed: a fault here is one failed delivery.
          result.failed++;
          deps.log.error('delivery to a connection failed', {
            connectionId: sub.connectionId,
            channel: input.channel,
            error: error instanceof Error ? error.stack : String(error),
          });
        }
      });
    }
  }
  await pool.drain();

  for (const connectionId of gone) {
    await pool.run(async () => {
      try {
        if (await removeGone(deps, connectionId, input.channel)) result.gone++;
        else result.failed++;
      } catch (error) {
        // Not removed: counted failed (it did not get the frame); its $disconnect or TTL removes it.
        result.failed++;
        deps.log.warn('could not remove a gone connection', { connectionId, error: String(error) });
      }
    });
  }
  await pool.drain();
  return result;
}

/**
 * API Gateway answers 410 to a post to a connection whose `$connect` has not returned yet (its
 * subscriptions from `?channels=` are stored by then). Removing it would drop a client that is about to
 * open, so a connection younger than this is left alone; one that really died goes with its
 * `$disconnect`, a later fan-out, or TTL.
 */
export const CONNECTING_GRACE_MS = 30_000;

/** Removes a connection a post found gone, unless it may still be connecting; resolves whether it did. */
export async function removeGone(
  deps: Pick<FanOutDeps, 'connections' | 'clock'>,
  connectionId: string,
  channel?: string,
): Promise<boolean> {
  const record = await deps.connections.get(connectionId);
  if (record && deps.clock.now() - record.connectedAt < CONNECTING_GRACE_MS) return false;
  await deps.connections.remove(connectionId, channel);
  return true;
}

function shouldReach(sub: Subscriber, input: FanOutInput): boolean {
  if (input.exclude?.has(sub.connectionId)) return false;
  if (input.reached?.has(sub.connectionId)) return false;
  if (input.seq !== undefined && sub.replayedTo !== undefined && input.seq <= sub.replayedTo) return false;
  return true;
}

/** Waits between re-reads of a subscription whose recovery has not yet said what it replays (~0.6 s in all). */
const REPLAY_SETTLE_MS = [10, 20, 40, 80, 160, 320];

/**
 * A subscription stored by a `subscribe` with `since` whose replay range is not known yet: re-read it until
 * it is, then reach it only with what the replay does not cover. True: post it live. If the mark never
 * comes (its subscribe failed half-way), it is posted: a duplicate rather than a loss.
 */
async function settleReplay(deps: FanOutDeps, input: FanOutInput, sub: Subscriber): Promise<boolean> {
  for (const wait of REPLAY_SETTLE_MS) {
    await deps.clock.sleep(wait);
    const now = await deps.connections.getSubscription(input.channel, sub.connectionId);
    if (!now) return false; // unsubscribed or gone meanwhile
    if (!now.replayPending) return !(now.replayedTo !== undefined && (input.seq ?? 0) <= now.replayedTo);
  }
  deps.log.warn('recovery mark never came; posting live', {
    connectionId: sub.connectionId,
    channel: input.channel,
  });
  return true;
}

type PostOutcome = 'delivered' | 'gone' | 'failed';

export async function postWithRetry(
  deps: Pick<FanOutDeps, 'gateway' | 'clock' | 'log'>,
  connectionId: string,
  payload: Uint8Array,
): Promise<PostOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.gateway.post(connectionId, payload);
      return 'delivered';
    } catch (error) {
      if (isGoneError(error)) return 'gone';
      if (!isRetryable(error) || attempt >= MAX_ATTEMPTS) {
        deps.log.warn('post failed', { connectionId, attempt, error: errorSummary(error) });
        return 'failed';
      }
      const backoff = BASE_BACKOFF_MS * 2 ** (attempt - 1);
      await deps.clock.sleep(backoff + Math.floor(Math.random() * backoff));
    }
  }
}

interface SdkErrorShape {
  name?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: unknown;
}

const statusOf = (error: unknown): number | undefined => {
  const s = (error as SdkErrorShape | null)?.$metadata?.httpStatusCode;
  return typeof s === 'number' ? s : undefined;
};

/** The SDK v3 says "gone" by its error's name or its HTTP status, never by a `statusCode` field. */
export function isGoneError(error: unknown): boolean {
  return (error as SdkErrorShape | null)?.name === 'GoneException' || statusOf(error) === 410;
}

export function isRetryable(error: unknown): boolean {
  const name = (error as SdkErrorShape | null)?.name;
  if (
    name === 'LimitExceededException' ||
    name === 'ThrottlingException' ||
    name === 'TooManyRequestsException'
  ) {
    return true;
  }
  const status = statusOf(error);
  if (status !== undefined) return status === 429 || status >= 500;
  // No HTTP status at all: the request never got an answer (reset socket, timeout).
  return error instanceof Error && /ECONNRESET|ETIMEDOUT|EPIPE|socket hang up/i.test(error.message);
}

const errorSummary = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);
