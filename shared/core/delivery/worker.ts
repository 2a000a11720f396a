import type { FanOutQueue, Subscriber } from '../ports';
import type { WorkerSettings } from '../settings';
import { type DeliveryDeps, type DeliveryReport, deliverToSubscribers, emptyReport } from './deliver';
import {
  type ChannelJob,
  type ConnectionsJob,
  connectionsMessages,
  decodeFanOutMessage,
  encodeFanOutMessage,
} from './fan-out-queue';
import { type Pacer, pacedPost } from './pacing';

/**
 * The fan-out worker: what it does with one message of the fan-out queue (fan-out-queue.ts describes
 * them). SQS delivers a message at least once; the worker keeps a repeat rare and never loses one:
 *
 *  - a `channel` message: one page of the shard's subscribers is read and sent on as `connections`
 *    messages, then the rest of the shard as a `channel` message that starts where the page ended. No
 *    invocation reads a whole shard: a reader holds one of the workers' slots for one Query, and the next
 *    page waits in the queue behind the posts of this one, so the reading keeps pace with the posting
 *    (a worker that read all 8 shards at once held 8 of 10 slots, and most of two cores, for ~1.5 s);
 *  - a `connections` message: each post paced (pacing.ts). Whatever it could not reach (time ran out,
 *    throttled or failing repeatedly) goes into a continuation message with only those connections, one
 *    round later and after a delay, and the message itself counts as done. So a message is retried whole
 *    (posting again to connections that got the frame) only when the worker dies, or cannot queue the
 *    continuation. After MAX_ROUNDS continuations the rest are given up: counted and logged with their ids.
 */

export type WorkerDeps = DeliveryDeps & {
  fanOutQueue: FanOutQueue;
  config: { fanOut: DeliveryDeps['config']['fanOut'] & WorkerSettings };
};

/** Continuations of a `connections` message before its remaining connections are given up. */
export const MAX_ROUNDS = 5;
/** A continuation waits 2, 4, 8… seconds (at most this) before a worker takes it. */
const MAX_CONTINUATION_DELAY_S = 30;
/** What a worker did with one message. */
export interface WorkerOutcome {
  kind: 'channel' | 'connections';
  /** A `connections` message: what became of its connections (`queued`: passed on to a continuation). */
  report: DeliveryReport;
  /** A `channel` message: subscribers read, and the `connections` messages they went out in. */
  read: number;
  messages: number;
}

export interface MessageContext {
  pacer: Pacer;
  /** Epoch ms after which no post starts: what is left is passed on. */
  deadline: number;
}

/** Handles one message body; throws when it must be received again (a read or a send failed). */
export async function handleFanOutMessage(
  deps: WorkerDeps,
  body: string,
  context: MessageContext,
): Promise<WorkerOutcome> {
  const { job, frame } = decodeFanOutMessage(body);
  return job.kind === 'channel' ? readShard(deps, job, frame) : deliverConnections(deps, job, frame, context);
}

async function readShard(deps: WorkerDeps, job: ChannelJob, frame: string): Promise<WorkerOutcome> {
  const exclude = new Set(job.exclude ?? []);
  const page = await deps.connections.subscriberPage(job.channel, job.shard, {
    pageSize: deps.config.fanOut.pageSize,
    after: job.after,
  });
  const base = { channel: job.channel, round: 0, ...(job.seq === undefined ? {} : { seq: job.seq }) };
  const reach = page.subscribers.filter(
    (sub) => !exclude.has(sub.connectionId) && !coveredByReplay(job.seq, sub),
  );
  const messages = connectionsMessages(base, frame, reach);
  // After this page's messages: sent in one call, a failure sends the page again (a few repeats), never
  // the rest of the shard twice.
  if (page.next !== undefined) messages.push(encodeFanOutMessage({ ...job, after: page.next }, frame));
  if (messages.length > 0) await deps.fanOutQueue.send(messages);
  const outcome: WorkerOutcome = {
    kind: 'channel',
    report: emptyReport(),
    read: page.subscribers.length,
    messages: messages.length,
  };
  const where = { channel: job.channel, shard: job.shard, seq: job.seq };
  if (page.next === undefined) deps.log.info('fan-out shard read', where);
  else deps.log.debug('fan-out shard page read', { ...where, read: outcome.read, next: page.next });
  return outcome;
}

/** Its recovery replay gives this subscriber the frame: not posted live. */
const coveredByReplay = (seq: number | undefined, sub: Subscriber): boolean =>
  seq !== undefined && sub.replayedTo !== undefined && seq <= sub.replayedTo;

async function deliverConnections(
  deps: WorkerDeps,
  job: ConnectionsJob,
  frame: string,
  { pacer, deadline }: MessageContext,
): Promise<WorkerOutcome> {
  const pending = new Set(job.pending ?? []);
  const dialectOf = (id: string) =>
    job.dialects && Object.hasOwn(job.dialects, id) ? job.dialects[id] : undefined;
  const subscribers: Subscriber[] = job.ids.map((connectionId) => {
    const dialect = dialectOf(connectionId);
    return {
      connectionId,
      userId: null,
      ...(pending.has(connectionId) ? { replayPending: true } : {}),
      ...(dialect ? { dialect } : {}),
    };
  });
  const target = { channel: job.channel, payload: new TextEncoder().encode(frame), seq: job.seq };
  const { report, later, failed } = await deliverToSubscribers(
    deps,
    target,
    subscribers,
    (id, payload) => pacedPost(deps, pacer, deadline, id, payload),
    { finalRound: job.round >= MAX_ROUNDS },
  );
  const where = { channel: job.channel, seq: job.seq, round: job.round };
  if (later.length > 0) {
    const round = job.round + 1;
    const base = { channel: job.channel, round, ...(job.seq === undefined ? {} : { seq: job.seq }) };
    const continuation = connectionsMessages(
      base,
      frame,
      later.map((connectionId) => ({ connectionId, dialect: dialectOf(connectionId) })),
    );
    await deps.fanOutQueue.send(continuation, {
      delaySeconds: Math.min(MAX_CONTINUATION_DELAY_S, 2 ** round),
    });
    deps.log.info('fan-out continues', { ...where, connections: later.length });
  }
  if (failed.length > 0) {
    deps.log.error('fan-out gave up on connections', {
      ...where,
      failed: failed.length,
      connectionIds: failed,
    });
  }
  return { kind: 'connections', report, read: 0, messages: 0 };
}
