import type { ServerFrame } from '../protocol';

/**
 * The frame envelope (PROTOCOL.md section 3): every frame that comes from a channel, or from a service to
 * connections, carries these; an event's own fields can never override them.
 */
export interface Envelope {
  type: string;
  /** Absent on a frame posted to connections without a channel (POST /v1/publish connection_ids). */
  channel?: string | undefined;
  /** A server id, sortable by time; one event has one id on every target. */
  id: string;
  /** ISO 8601 UTC. */
  timestamp: string;
  /** The event's place in its channel's history, where the channel keeps one. */
  seq?: number | undefined;
}

/** What a publisher says: a `type` and the event's own fields. */
export type EventFields = { type: string } & Record<string, unknown>;

export type EnvelopedFrame = ServerFrame & { id: string; timestamp: string };

/**
 * The frame: the envelope first and always the envelope's. Whatever the event carries under the envelope's
 * names is dropped, whether the envelope has that field or not: a frame posted to connections directly has
 * no channel and no seq, and the event cannot give it one.
 */
export function frameOf(envelope: Envelope, event: Record<string, unknown>): EnvelopedFrame {
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

const encoder = new TextEncoder();

/** A frame serialized once: every post of it sends these same bytes. */
export const encodeFrame = (frame: ServerFrame): Uint8Array => encoder.encode(JSON.stringify(frame));
