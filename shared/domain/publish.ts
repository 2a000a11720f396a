import type { Channel } from '../channels';
import type { ChannelFrameEnvelope, ServerFrame } from '../protocol';
import { isoTime } from '../protocol';
import type { Deps } from './context';
import { type FanOutResult, fanOut } from './fanout';

/** What the event builder learns before it builds the frame (chat messages embed their own id and seq). */
export interface EventMeta {
  id: string;
  seq: number | undefined;
  timestamp: string;
}

/** The frame's own fields: `type` plus whatever the event carries. */
export type EventFields = { type: string } & Record<string, unknown>;

export interface PublishInput {
  channel: Channel;
  event: EventFields | ((meta: EventMeta) => EventFields);
  /** The event's id; a new one when absent. One HTTP publish to several channels shares its id. */
  id?: string;
  /** A full idempotency key (see idempotencyKey()); a repeat within 24 h stores and delivers nothing. */
  idempotencyKey?: string;
  exclude?: ReadonlySet<string>;
  reached?: Set<string>;
  /** Deliver without a seq and without storing it, even where the namespace keeps history (presence notices). */
  ephemeral?: boolean;
  /** The frame's `timestamp` (epoch ms) when the event has its own time (a sensor reading); now otherwise. */
  timestamp?: number;
  /** Called with the stored frame before fan-out (chat messages keep their own record too). */
  beforeFanOut?: (frame: ChannelFrameEnvelope & Record<string, unknown>, meta: EventMeta) => Promise<void>;
}

export interface PublishResult extends FanOutResult {
  id: string;
  channel: string;
  seq?: number;
  timestamp: string;
  duplicate: boolean;
}

/** How long a pending idempotency claim may stay before another caller takes over (its owner died). */
export const IDEMPOTENCY_STALE_MS = 60_000;

export const idempotencyKey = (scope: string, id: string): string => `${scope}#${id}`;

/** The `ack` of a client's message (PROTOCOL.md section 3): the message's id, the client's `ref`, its seq. */
export const ackFrame = (result: PublishResult, ref: string | undefined): ServerFrame => ({
  type: 'ack',
  id: result.id,
  ...(ref === undefined ? {} : { ref }),
  channel: result.channel,
  ...(result.seq === undefined ? {} : { seq: result.seq }),
  ...(result.duplicate ? { duplicate: true } : {}),
});

/**
 * Publishes one event to a channel: idempotency check, then (where the namespace keeps history) a new seq
 * and a history entry, then fan-out. The frame is built once and serialized once; its envelope fields
 * (type, channel, id, timestamp, seq) always win over the event's own.
 */
export async function publishEvent(deps: Deps, input: PublishInput): Promise<PublishResult> {
  const key = input.idempotencyKey;
  const id = input.id ?? deps.ids.next();
  if (key !== undefined) {
    const claim = await deps.messages.claimIdempotency<PublishResult>(key, {
      id,
      now: deps.clock.now(),
      staleAfterMs: IDEMPOTENCY_STALE_MS,
    });
    if (!claim.claimed) {
      if (claim.state === 'done') return { ...claim.result, duplicate: true };
      // The first request is still being delivered: it will reach everyone, so this one does nothing.
      return {
        id: claim.id,
        channel: input.channel.id,
        timestamp: isoTime(claim.createdAt),
        duplicate: true,
        recipients: 0,
        delivered: 0,
        gone: 0,
        failed: 0,
      };
    }
  }
  try {
    const result = await publishOnce(deps, input, id);
    if (key !== undefined) await deps.messages.completeIdempotency(key, result, deps.clock.now());
    return result;
  } catch (error) {
    if (key !== undefined) {
      await deps.messages.releaseIdempotency(key).catch((e: unknown) =>
        // The publish's own error is what the caller must see; the claim is taken over once stale.
        deps.log.warn('could not release an idempotency claim', { key, error: String(e) }),
      );
    }
    throw error;
  }
}

async function publishOnce(deps: Deps, input: PublishInput, id: string): Promise<PublishResult> {
  const { channel } = input;
  const now = deps.clock.now();
  const history = input.ephemeral ? null : channel.namespace.history;
  const seq = history ? await deps.messages.nextSeq(channel.id) : undefined;
  const meta: EventMeta = { id, seq, timestamp: isoTime(input.timestamp ?? now) };
  const event = typeof input.event === 'function' ? input.event(meta) : input.event;
  const frame = frameOf(
    { type: event.type, channel: channel.id, id: meta.id, timestamp: meta.timestamp, seq },
    event,
  );
  const serialized = JSON.stringify(frame);
  if (history && seq !== undefined) {
    const expiresAt = history.ttlSeconds === null ? null : Math.floor(now / 1000) + history.ttlSeconds;
    await deps.messages.appendHistory(channel.id, { seq, frame: serialized }, expiresAt);
  }
  await input.beforeFanOut?.(frame, meta);
  const delivery = await fanOut(fanOutDeps(deps), {
    channel: channel.id,
    payload: new TextEncoder().encode(serialized),
    ...(seq === undefined ? {} : { seq }),
    ...(input.exclude ? { exclude: input.exclude } : {}),
    ...(input.reached ? { reached: input.reached } : {}),
  });
  return {
    id: meta.id,
    channel: channel.id,
    ...(seq === undefined ? {} : { seq }),
    timestamp: meta.timestamp,
    duplicate: false,
    ...delivery,
  };
}

/**
 * A frame: the envelope first and always the envelope's. An event cannot forge type, channel, id, timestamp
 * or seq, whether the envelope has them or not (a frame posted to connections directly has no channel).
 */
export function frameOf(
  envelope: {
    type: string;
    channel?: string | undefined;
    id: string;
    timestamp: string;
    seq?: number | undefined;
  },
  event: Record<string, unknown>,
): ChannelFrameEnvelope & Record<string, unknown> {
  const { type: _y, channel: _c, id: _i, timestamp: _t, seq: _s, ...fields } = event;
  return {
    type: envelope.type,
    ...(envelope.channel === undefined ? {} : { channel: envelope.channel }),
    id: envelope.id,
    timestamp: envelope.timestamp,
    ...(envelope.seq === undefined ? {} : { seq: envelope.seq }),
    ...fields,
  };
}

export const fanOutDeps = (deps: Deps) => ({
  connections: deps.connections,
  gateway: deps.gateway,
  clock: deps.clock,
  log: deps.log,
  concurrency: deps.config.fanOut.concurrency,
  pageSize: deps.config.fanOut.pageSize,
});
