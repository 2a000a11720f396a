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

/**
 * `delivered`: every recipient was posted to before the answer (the report's counts are final). `queued`:
 * the audience was large, the message is stored and the fan-out workers deliver it after the answer.
 */
export type DeliveryStatus = 'delivered' | 'queued';

export const deliveryStatus = (p: Publication): DeliveryStatus =>
  p.delivery.queued > 0 ? 'queued' : 'delivered';

/**
 * The `ack` of a client's message (PROTOCOL.md section 3): the message's id, the client's `ref`, its seq,
 * and whether it was delivered before the ack or is being delivered by the fan-out workers.
 */
export const ackFrame = (p: Publication, channel: Channel, ref: string | undefined): ServerFrame => {
  const seq = seqOf(p);
  return {
    type: 'ack',
    id: p.id,
    ...(ref === undefined ? {} : { ref }),
    channel: channel.id,
    ...(seq === undefined ? {} : { seq }),
    status: deliveryStatus(p),
    ...(p.duplicate ? { duplicate: true } : {}),
  };
};

/**
 * What every HTTP push answers (202): the event's id, how many connections it was for, its seq where it
 * went to one channel with history, and its status. Delivered: how many were reached and found gone.
 * Queued: the message is stored and the fan-out workers are delivering it; `recipients` is the audience
 * they were given (the channels' subscriber counts).
 */
export type PushAnswer = { id: string; recipients: number; seq?: number } & (
  | { status: 'delivered'; delivered: number; gone: number }
  | { status: 'queued' }
);

export const pushAnswer = (p: Publication): PushAnswer => {
  const seq = seqOf(p);
  const { recipients, delivered, gone } = p.delivery;
  const base = { id: p.id, recipients, ...(seq === undefined ? {} : { seq }) };
  return deliveryStatus(p) === 'queued'
    ? { ...base, status: 'queued' }
    : { ...base, status: 'delivered', delivered, gone };
};
