import type { Channel } from './channels';
import {
  type DeliveryDeps,
  type DeliveryReport,
  deliver,
  emptyReport,
  type Target,
} from './delivery/deliver';
import { type EventFields, encodeFrame, frameOf } from './delivery/envelope';
import { type IdempotencyDeps, idempotent } from './idempotency';
import type { Ids, MessageStore } from './ports';
import { isoTime, type ServerFrame } from './protocol';

/**
 * Publishing one event: idempotency (when the publisher has a key), then per channel a seq and a history
 * entry where the namespace keeps history, then one delivery to every target. Every publisher of the
 * project comes through here (or, for frames that are not events of a channel, through delivery directly).
 */

/** What an event builder learns before it builds the frame (chat messages embed their own id and seq). */
export interface EventMeta {
  id: string;
  seq: number | undefined;
  timestamp: string;
}

export interface PublishInput {
  /** Every subscriber of each channel; each channel gets its own seq and history. */
  channels: readonly Channel[];
  /**
   * These connections directly too: the frame is not stored and has no seq; `channel` is the channel its
   * envelope names, if any (a user's connections in one room).
   */
  connections?: { ids: readonly string[]; channel?: Channel | undefined };
  event: EventFields | ((meta: EventMeta) => EventFields);
  /** The event's id; a new one when absent. One event has one id on every target. */
  id?: string;
  /** A scoped key and what the request asked (core/idempotency.ts): a repeat stores and delivers nothing. */
  idempotency?: { key: string; request: unknown };
  exclude?: ReadonlySet<string>;
  /** Deliver without a seq and without storing it, even where the namespace keeps history (presence notices). */
  ephemeral?: boolean;
  /** The frame's `timestamp` (epoch ms) when the event has its own time (a sensor reading); now otherwise. */
  timestamp?: number;
}

/** What a publish did: the event's id and time, each channel's seq, and the one delivery report. */
export interface Publication {
  id: string;
  timestamp: string;
  /** The channels published to, in order, each with the event's seq where it keeps history. */
  channels: { channel: string; seq?: number }[];
  delivery: DeliveryReport;
  /** True when the idempotency key was used before: nothing was stored or delivered this time. */
  duplicate: boolean;
}

export type PublishDeps = DeliveryDeps &
  IdempotencyDeps & {
    messages: Pick<MessageStore, 'nextSeq' | 'appendHistory'>;
    ids: Ids;
  };

export async function publish(deps: PublishDeps, input: PublishInput): Promise<Publication> {
  const id = input.id ?? deps.ids.next();
  if (input.idempotency === undefined) return publishOnce(deps, input, id);
  const run = await idempotent(deps, { ...input.idempotency, id }, () => publishOnce(deps, input, id));
  switch (run.outcome) {
    case 'first':
      return run.result;
    case 'replay':
      return { ...run.result, duplicate: true };
    case 'pending':
      // The first request is still being delivered: it will reach everyone, so this one does nothing.
      return {
        id: run.id,
        timestamp: isoTime(run.createdAt),
        channels: input.channels.map((c) => ({ channel: c.id })),
        delivery: emptyReport(),
        duplicate: true,
      };
  }
}

async function publishOnce(deps: PublishDeps, input: PublishInput, id: string): Promise<Publication> {
  const now = deps.clock.now();
  const timestamp = isoTime(input.timestamp ?? now);
  const targets: Target[] = [];
  const channels: Publication['channels'] = [];
  for (const channel of input.channels) {
    const history = input.ephemeral ? null : channel.namespace.history;
    const seq = history ? await deps.messages.nextSeq(channel.id) : undefined;
    const event = eventOf(input, { id, seq, timestamp });
    const serialized = JSON.stringify(
      frameOf({ type: event.type, channel: channel.id, id, timestamp, seq }, event),
    );
    if (history && seq !== undefined) {
      const expiresAt = history.ttlSeconds === null ? null : Math.floor(now / 1000) + history.ttlSeconds;
      await deps.messages.appendHistory(channel.id, { seq, frame: serialized }, expiresAt);
    }
    targets.push({ channel: channel.id, payload: new TextEncoder().encode(serialized), seq });
    channels.push({ channel: channel.id, ...(seq === undefined ? {} : { seq }) });
  }
  if (input.connections && input.connections.ids.length > 0) {
    const event = eventOf(input, { id, seq: undefined, timestamp });
    const channel = input.connections.channel?.id;
    targets.push({
      connectionIds: input.connections.ids,
      channel,
      payload: encodeFrame(frameOf({ type: event.type, channel, id, timestamp }, event)),
    });
  }
  const delivery = await deliver(deps, targets, input.exclude ? { exclude: input.exclude } : {});
  // Per target: each channel by its namespace, the connections by the channel they name, if any.
  for (const channel of input.channels) deps.metrics.countBy('Publishes', channel.namespace.name);
  if (input.connections && input.connections.ids.length > 0) {
    deps.metrics.countBy('Publishes', input.connections.channel?.namespace.name ?? 'direct');
  }
  return { id, timestamp, channels, delivery, duplicate: false };
}

const eventOf = (input: PublishInput, meta: EventMeta): EventFields =>
  typeof input.event === 'function' ? input.event(meta) : input.event;

/** The seq of a publication to one channel, where that channel keeps history. */
export const seqOf = (p: Publication): number | undefined =>
  p.channels.length === 1 ? p.channels[0]?.seq : undefined;

/** The `ack` of a client's message (PROTOCOL.md section 3): the message's id, the client's `ref`, its seq. */
export const ackFrame = (p: Publication, channel: Channel, ref: string | undefined): ServerFrame => {
  const seq = seqOf(p);
  return {
    type: 'ack',
    id: p.id,
    ...(ref === undefined ? {} : { ref }),
    channel: channel.id,
    ...(seq === undefined ? {} : { seq }),
    ...(p.duplicate ? { duplicate: true } : {}),
  };
};

/**
 * What every HTTP push answers (202): the event's id, how many connections it was for, reached and found
 * gone, and its seq where it went to one channel with history.
 */
export interface PushAnswer {
  id: string;
  recipients: number;
  delivered: number;
  gone: number;
  seq?: number;
}

export const pushAnswer = (p: Publication): PushAnswer => {
  const seq = seqOf(p);
  const { recipients, delivered, gone } = p.delivery;
  return { id: p.id, recipients, delivered, gone, ...(seq === undefined ? {} : { seq }) };
};
