import type { Dialect } from '../../core/dialect';
import type { ServerFrame } from '../../core/protocol';
import { asSent, djangoId, isAck, ownFields, senderOf } from './common';

/**
 * Seed 000 (`/ws/test/{room}/`, the REST-push demo): every frame of the room came inside a `{"message":
 * {...}}` envelope, and its client reads `data.message`. `api_message` {content, sender, sender_id, type,
 * timestamp}, `location_update` {content, latitude, longitude, device_id, type, timestamp}, `live_stats`
 * {content, type, stats}; the room's other frames (chat, presence) in the same envelope with their own
 * fields. The client sends nothing; answers to native frames it might send go out as they are.
 */
export function render000(frame: ServerFrame): ServerFrame | null {
  if (isAck(frame)) return null;
  if (REPLIES.has(frame.type)) return frame;
  return { message: inner(frame) } as unknown as ServerFrame;
}

/** Answers to a native frame the seed's client never sent: as they are. */
const REPLIES = new Set(['pong', 'error', 'subscribed', 'unsubscribed', 'connection.established']);

function inner(frame: ServerFrame): Record<string, unknown> {
  switch (frame.type) {
    case 'api_message': {
      const sender = senderOf(frame);
      return {
        content: frame.message,
        sender: sender?.username ?? null,
        sender_id: sender ? djangoId(sender.id) : null,
        type: frame.type,
        timestamp: frame.timestamp,
        ...(frame.data === undefined ? {} : { data: frame.data }),
      };
    }
    case 'location_update':
      return {
        content: `Location update from device ${String(frame.device_id)}`,
        latitude: frame.latitude,
        longitude: frame.longitude,
        device_id: frame.device_id,
        type: frame.type,
        timestamp: frame.timestamp,
      };
    case 'live_stats':
      return { content: 'Live system update', type: frame.type, stats: frame.stats };
    default:
      return ownFields(frame);
  }
}

export const seed000: Dialect = { name: 'seed000.test', render: render000, parse: asSent };
