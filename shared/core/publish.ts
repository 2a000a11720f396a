import type { Channel, History } from './channels';
import { type DeliveryDeps, type DeliveryReport, deliver, type Target } from './delivery/deliver';
import { type EventFields, encodeFrame, frameOf } from './delivery/envelope';
import { type Attempt, type IdempotencyDeps, idempotent, keyInUse } from './idempotency';
import type { Ids, MessageStore } from './ports';
import { isoTime, type ServerFrame } from './protocol';
import { voidSeq } from './recovery';

/**
 * Publishing one event: idempotency (when the publisher has a key), then per channel a seq and a history
 * entry where the namespace keeps history, then one delivery to every target. Every publisher of the
 * project comes through here (or, for frames that are not events of a channel, through delivery directly).
 *
 * Crash-safe (issue 14): an idempotent publish reserves each seq in its claim before it stores the message
 * there, and a seq holds one entry for good; so a retry after a crash at any point finds what the dead
 * attempt did: the message stored (it is delivered again, at its seq), or not (the seq it had taken is
 * voided, and the message stored at a new one and delivered). Until the first attempt is taken for dead, a
 * retry is told it is in progress (IDEMPOTENCY_KEY_IN_USE).
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
  connections?: {
    ids: readonly string[];
    channel?: Channel | undefined;
    /** The seed dialects of those that speak one (from their records), by connection id. */
    dialects?: ReadonlyMap<string, string> | undefined;
  };
  event: EventFields | ((meta: EventMeta) => EventFields);
  /** The event's id; a new one when absent. One event has one id on every target. */
  id?: string;
  /** A scoped key and what the request asked (core/idempotency.ts): a repeat stores and delivers nothing. */
  idempotency?: { key: string; request: unknown };
  /**
   * The claim of the idempotent request this publish belongs to, where its caller holds one (an HTTP
   * operation: shared/app/http.ts): the event gets its id, and its seqs are reserved there. Not together
   * with `idempotency`.
   */
  attempt?: Attempt | undefined;
  exclude?: ReadonlySet<string>;
  /** Channels with more subscriptions than this get nothing (delivery/deliver.ts `DeliveryOptions`). */
  maxAudience?: number;
  /** Only subscribers connected by then (epoch ms) get it (delivery/deliver.ts `DeliveryOptions`). */
  connectedBy?: number;
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
  if (input.idempotency === undefined) return publishOnce(deps, input, input.attempt);
  const id = input.id ?? deps.ids.next();
  const run = await idempotent(deps, { ...input.idempotency, id }, (attempt) =>
    publishOnce(deps, input, attempt),
  );
  switch (run.outcome) {
    case 'first':
      return run.result;
    case 'replay':
      return { ...run.result, duplicate: true };
    case 'pending':
      // Nothing may be said of the message yet: the first attempt may still store it, or may have died.
      throw keyInUse(run.retryAfterMs);
  }
}

async function publishOnce(
  deps: PublishDeps,
  input: PublishInput,
  attempt: Attempt | undefined,
): Promise<Publication> {
  const id = attempt?.id ?? input.id ?? deps.ids.next();
  // A retry that finishes a dead attempt's message gives it the same time as that attempt did.
  const now = attempt?.startedAt ?? deps.clock.now();
  const timestamp = isoTime(input.timestamp ?? now);
  const targets: Target[] = [];
  const channels: Publication['channels'] = [];
  for (const channel of input.channels) {
    const history = input.ephemeral ? null : channel.namespace.history;
    if (history) {
      const stored = await storeInHistory(deps, input, channel, history, { id, timestamp, now }, attempt);
      targets.push({ channel: channel.id, payload: new TextEncoder().encode(stored.frame), seq: stored.seq });
      channels.push({ channel: channel.id, seq: stored.seq });
    } else {
      const event = eventOf(input, { id, seq: undefined, timestamp });
      targets.push({
        channel: channel.id,
        payload: encodeFrame(frameOf({ type: event.type, channel: channel.id, id, timestamp }, event)),
      });
      channels.push({ channel: channel.id });
    }
  }
  if (input.connections && input.connections.ids.length > 0) {
    const event = eventOf(input, { id, seq: undefined, timestamp });
    const channel = input.connections.channel?.id;
    targets.push({
      connectionIds: input.connections.ids,
      channel,
      ...(input.connections.dialects ? { dialects: input.connections.dialects } : {}),
      payload: encodeFrame(frameOf({ type: event.type, channel, id, timestamp }, event)),
    });
  }
  const delivery = await deliver(deps, targets, {
    ...(input.exclude ? { exclude: input.exclude } : {}),
    ...(input.maxAudience === undefined ? {} : { maxAudience: input.maxAudience }),
    ...(input.connectedBy === undefined ? {} : { connectedBy: input.connectedBy }),
  });
  // Per target: each channel by its namespace, the connections by the channel they name, if any.
  for (const channel of input.channels) deps.metrics.countBy('Publishes', channel.namespace.name);
  if (input.connections && input.connections.ids.length > 0) {
    deps.metrics.countBy('Publishes', input.connections.channel?.namespace.name ?? 'direct');
  }
  return { id, timestamp, channels, delivery, duplicate: false };
}

/** How many seqs one message may find voided before it gives up (each void means a publish took >1 min). */
const MAX_SEQ_TRIES = 3;

/**
 * The message's one entry in a channel's history, and its seq. A retry that took over from a dead attempt
 * first settles the seq that attempt reserved: if the message is there, that is its entry (delivered again
 * as it was stored); if not, the seq is voided, never filled this late (a subscriber that recovered past
 * it meanwhile would never get it: deliveries skip what a replay covered), and the message takes a new
 * seq. A new seq is reserved in the claim before the message is stored there (when the publish is
 * idempotent), and found voided (a reader took this publish for dead: core/recovery.ts) it is given up
 * for another.
 */
async function storeInHistory(
  deps: PublishDeps,
  input: PublishInput,
  channel: Channel,
  history: History,
  meta: { id: string; timestamp: string; now: number },
  attempt: Attempt | undefined,
): Promise<{ seq: number; frame: string }> {
  const reserved = attempt?.reserved[channel.id];
  if (reserved !== undefined) {
    const found = await voidSeq(deps, channel, reserved);
    if (idOfFrame(found.frame) === meta.id) return { seq: reserved, frame: found.frame };
  }
  const expiresAt = history.ttlSeconds === null ? null : Math.floor(meta.now / 1000) + history.ttlSeconds;
  for (let tries = 0; tries < MAX_SEQ_TRIES; tries++) {
    const seq = await deps.messages.nextSeq(channel.id);
    const at = deps.clock.now();
    if (attempt) await reserve(deps, attempt, channel, seq);
    const event = eventOf(input, { id: meta.id, seq, timestamp: meta.timestamp });
    const frame = JSON.stringify(
      frameOf({ type: event.type, channel: channel.id, id: meta.id, timestamp: meta.timestamp, seq }, event),
    );
    if ((await deps.messages.appendHistory(channel.id, { seq, frame, at }, expiresAt)) === null) {
      return { seq, frame };
    }
  }
  throw new Error(`${channel.id}: ${MAX_SEQ_TRIES} seqs in a row were voided before ${meta.id} was stored`);
}

/** Reserves the seq in the claim; one taken by an attempt that lost its claim is voided, not left a gap. */
async function reserve(deps: PublishDeps, attempt: Attempt, channel: Channel, seq: number): Promise<void> {
  try {
    await attempt.reserve(channel.id, seq);
  } catch (error) {
    await voidSeq(deps, channel, seq).catch((e: unknown) =>
      deps.log.warn('could not void a seq', { channel: channel.id, seq, error: String(e) }),
    );
    throw error;
  }
}

const idOfFrame = (frame: string): unknown => (JSON.parse(frame) as { id?: unknown }).id;

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
