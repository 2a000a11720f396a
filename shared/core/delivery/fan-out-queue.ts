import * as z from 'zod/mini';
import { ProtocolError } from '../errors';
import { type ConnectionStore, FAN_OUT_MESSAGE_MAX_BYTES, type FanOutQueue } from '../ports';

/**
 * The messages of the fan-out queue: what a publisher hands the fan-out workers (core/delivery/worker.ts)
 * for an audience too large to post to in-process. Two kinds, both carrying the frame once:
 *
 *  - `channel`: the subscribers of one shard of a channel (a publisher sends one per shard), from the
 *    start or `after` a connection id. The worker that takes it reads one page, sends it on as
 *    `connections` messages, and the rest of the shard as a `channel` message from where the page ended.
 *  - `connections`: these connections get the frame (at most CONNECTIONS_PER_MESSAGE of them). A worker
 *    that cannot reach some of them passes those on in a new `connections` message, one `round` later.
 *
 * A body is a JSON header line, a newline, and the frame exactly as serialized: the frame's bytes are not
 * escaped or base64-encoded again, so a 128 KB frame and its connection ids fit SQS's 256 KiB.
 */

export type FanOutJob = ChannelJob | ConnectionsJob;

export interface ChannelJob {
  kind: 'channel';
  channel: string;
  /** The shard of the channel's subscriptions to read (ConnectionStore.subscriberShards). */
  shard: number;
  /** The frame's seq: a subscriber whose recovery replay covers it is skipped. */
  seq?: number | undefined;
  /** Connections that must not get it (the publisher's own). */
  exclude?: string[] | undefined;
  /** Where the read goes on: the shard's subscribers after this connection id (absent: from the start). */
  after?: string | undefined;
}

export interface ConnectionsJob {
  kind: 'connections';
  channel: string;
  seq?: number | undefined;
  ids: string[];
  /** Those of `ids` whose subscription was still waiting for its recovery mark when read. */
  pending?: string[] | undefined;
  /** The seed dialects of those of `ids` that speak one (core/dialect.ts), by connection id. */
  dialects?: Record<string, string> | undefined;
  /** 0 for the first try; a continuation of connections not reached counts one more. */
  round: number;
}

/** The version of the header; a worker refuses another (the message then ends in the dead-letter queue). */
const VERSION = 1;

const header = z.discriminatedUnion('kind', [
  z.object({
    v: z.literal(VERSION),
    kind: z.literal('channel'),
    channel: z.string().check(z.minLength(1)),
    shard: z.int().check(z.minimum(0)),
    seq: z.optional(z.int()),
    exclude: z.optional(z.array(z.string())),
    after: z.optional(z.string().check(z.minLength(1))),
  }),
  z.object({
    v: z.literal(VERSION),
    kind: z.literal('connections'),
    channel: z.string().check(z.minLength(1)),
    seq: z.optional(z.int()),
    ids: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
    pending: z.optional(z.array(z.string())),
    dialects: z.optional(z.record(z.string(), z.string())),
    round: z.int().check(z.minimum(0)),
  }),
]);

/** A message, and the frame it carries. */
export interface FanOutMessage {
  job: FanOutJob;
  frame: string;
}

export function encodeFanOutMessage(job: FanOutJob, frame: string): string {
  const body = `${JSON.stringify({ v: VERSION, ...job })}\n${frame}`;
  const bytes = Buffer.byteLength(body);
  if (bytes > FAN_OUT_MESSAGE_MAX_BYTES) {
    // CONNECTIONS_PER_MESSAGE and idsThatFit keep every message under the limit; a frame alone over it
    // could not be posted either (API Gateway takes 128 KB).
    throw new ProtocolError('PAYLOAD_TOO_LARGE', `a fan-out message of ${bytes} bytes is over SQS's limit`);
  }
  return body;
}

export class FanOutMessageError extends Error {
  override name = 'FanOutMessageError';
}

/** Throws FanOutMessageError for anything but a message of this version. */
export function decodeFanOutMessage(body: string): FanOutMessage {
  const newline = body.indexOf('\n');
  if (newline === -1) throw new FanOutMessageError('no header line');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.slice(0, newline));
  } catch {
    throw new FanOutMessageError('the header is not JSON');
  }
  const result = header.safeParse(parsed);
  if (!result.success) throw new FanOutMessageError(`a bad header: ${z.prettifyError(result.error)}`);
  const { v: _v, ...job } = result.data;
  return { job, frame: body.slice(newline + 1) };
}

/**
 * Connections per `connections` message: small enough that a batch of them keeps one worker busy for
 * about a second at its share of the default quota (10,000 ÷ 10 workers), so work spreads over the workers.
 */
export const CONNECTIONS_PER_MESSAGE = 250;
/** The header of a `connections` message without its ids: channel (≤ 140 characters), seq, round, kind. */
const HEADER_BYTES = 512;

/** Splits connection ids into `connections` messages that each fit SQS's limit with the frame. */
export function connectionsMessages(
  base: Omit<ConnectionsJob, 'ids' | 'pending' | 'dialects' | 'kind'>,
  frame: string,
  subscribers: readonly { connectionId: string; replayPending?: boolean; dialect?: string | undefined }[],
): string[] {
  const room = FAN_OUT_MESSAGE_MAX_BYTES - Buffer.byteLength(frame) - HEADER_BYTES;
  const messages: string[] = [];
  let ids: string[] = [];
  let pending: string[] = [];
  let dialects: Record<string, string> = {};
  let used = 0;
  const flush = () => {
    if (ids.length === 0) return;
    const job: ConnectionsJob = {
      kind: 'connections',
      ...base,
      ids,
      ...(pending.length ? { pending } : {}),
      ...(Object.keys(dialects).length ? { dialects } : {}),
    };
    messages.push(encodeFanOutMessage(job, frame));
    ids = [];
    pending = [];
    dialects = {};
    used = 0;
  };
  for (const sub of subscribers) {
    // `"id",` in the list, twice for a pending one (it is in both lists).
    const cost =
      (Buffer.byteLength(sub.connectionId) + 3) * (sub.replayPending ? 2 : 1) +
      // `"id":"dialect",` in the dialects object.
      (sub.dialect ? Buffer.byteLength(sub.connectionId) + Buffer.byteLength(sub.dialect) + 6 : 0);
    if (ids.length >= CONNECTIONS_PER_MESSAGE || used + cost > room) flush();
    if (cost > room)
      throw new ProtocolError('PAYLOAD_TOO_LARGE', 'the frame leaves no room for a connection');
    ids.push(sub.connectionId);
    if (sub.replayPending) pending.push(sub.connectionId);
    if (sub.dialect) dialects[sub.connectionId] = sub.dialect;
    used += cost;
  }
  flush();
  return messages;
}

/**
 * The publisher's part of a queued delivery: one `channel` message per shard of the channel's
 * subscriptions, each carrying the frame. Resolves once the queue holds them all.
 */
export async function queueChannel(
  deps: { connections: Pick<ConnectionStore, 'subscriberShards'>; fanOutQueue: FanOutQueue },
  target: { channel: string; payload: Uint8Array; seq?: number | undefined },
  exclude: ReadonlySet<string> | undefined,
): Promise<number> {
  const frame = new TextDecoder().decode(target.payload);
  const shards = deps.connections.subscriberShards(target.channel);
  const messages = Array.from({ length: shards }, (_, shard) =>
    encodeFanOutMessage(
      {
        kind: 'channel',
        channel: target.channel,
        shard,
        ...(target.seq === undefined ? {} : { seq: target.seq }),
        ...(exclude && exclude.size > 0 ? { exclude: [...exclude] } : {}),
      },
      frame,
    ),
  );
  await deps.fanOutQueue.send(messages);
  return messages.length;
}
