import type { ServerFrame } from '../../core/protocol';

/**
 * What the seed dialects share. Each seed module (seed000.ts … seed004.ts) renders the native frames
 * (PROTOCOL.md section 4) in its document's shapes, field for field, and passes on, as they are, the frames
 * its document does not show (its client's `if (data.type === …)` ignores them).
 */

/** A frame's own fields: what is left without the native envelope's channel, id and seq. */
export function ownFields(frame: ServerFrame): ServerFrame {
  const { channel: _c, id: _i, seq: _s, ...rest } = frame;
  return rest;
}

/**
 * The seeds' Django models had integer primary keys (`"sensor_id": 1`, `"chat": 1`): an id that is a whole
 * number (as text, up to 15 digits) goes out as a number, as the seed's client knew it; any other stays text.
 */
export const djangoId = (id: unknown): unknown =>
  typeof id === 'string' && /^(0|[1-9][0-9]{0,14})$/.test(id) ? Number(id) : id;

/** `{type: "error", message}`: the seeds' error frame, which had no code (001, 003). */
export const plainError = (frame: ServerFrame): ServerFrame => ({ type: 'error', message: frame.message });

/** The seeds acknowledged nothing: an `ack` is dropped for every dialect. */
export const isAck = (frame: ServerFrame): boolean => frame.type === 'ack';

/** The frames the seed's client sent are the native protocol's own already (PROTOCOL.md section 3). */
export const asSent = (frame: Record<string, unknown>): Record<string, unknown> => frame;

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The `{id, username}` a native frame names its sender with, or null. */
export function senderOf(frame: ServerFrame): { id: string; username: string } | null {
  const s = frame.sender;
  if (typeof s !== 'object' || s === null) return null;
  const { id, username } = s as Record<string, unknown>;
  const i = text(id);
  return i === undefined ? null : { id: i, username: text(username) ?? i };
}
