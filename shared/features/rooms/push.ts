import * as z from 'zod/mini';
import { senderOf } from '../../core/auth/principal';
import { type Channel, channelIn } from '../../core/channels';
import type { EventFields } from '../../core/delivery/envelope';
import { mapBounded } from '../../core/delivery/pool';
import type { Operation } from '../../core/operations';
import type { ConnectionRecord } from '../../core/ports';
import { chatText, checkDataSize, nameField, validate } from '../../core/protocol';
import { publish, pushAnswer } from '../../core/publish';
import type { RoomsDeps } from './deps';
import { room } from './manifest';

const roomMessageBody = z.lazy(() =>
  z.object({
    message: z.string(),
    // A user id is a token `sub` (any string), not a channel name.
    target_user: z.nullish(z.string().check(z.minLength(1), z.maxLength(255))),
    data: z.nullish(z.record(z.string(), z.unknown())),
  }),
);

const locationBody = z.lazy(() =>
  z.object({
    latitude: z.number().check(z.minimum(-90), z.maximum(90)),
    longitude: z.number().check(z.minimum(-180), z.maximum(180)),
    device_id: nameField,
    room: z.nullish(nameField),
  }),
);

/** The REST push of seed 000 (lambdas/http-rooms.ts): room messages and locations. */
export function roomsOperations(deps: RoomsDeps) {
  /**
   * POST /v1/rooms/{room}/messages (seed 000's "send from REST"): `api_message` {message, sender, data?} to
   * the room, with seq and history; with `target_user`, only that user's connections in the room get it,
   * posted to directly and not stored (seed 000's "select specific sockets, not broadcast to all").
   */
  const roomMessage: Operation = async ({ principal, params, body, attempt }) => {
    const channel = channelIn(room, params.room ?? '');
    const input = validate(roomMessageBody, body ?? {});
    const message = chatText(input.message, 'message');
    if (input.data) checkDataSize(input.data, deps.config.limits.maxDataBytes);
    const event: EventFields = {
      type: 'api_message',
      message,
      sender: senderOf(principal),
      ...(input.data ? { data: input.data } : {}),
    };
    const publication = input.target_user
      ? await publish(deps, {
          channels: [],
          connections: { ...(await connectionsOfUserIn(channel, input.target_user)), channel },
          event,
          attempt,
        })
      : await publish(deps, { channels: [channel], event, attempt });
    return { status: 202, body: pushAnswer(publication) };
  };

  /**
   * One user's connections in a channel: found through the user's own index (at most the per-user
   * connection limit), not by reading the whole room's subscribers.
   */
  async function connectionsOfUserIn(channel: Channel, userId: string) {
    const ids = await deps.connections.connectionsOfUser(userId);
    const records = await mapBounded(ids, 10, (id) => deps.connections.get(id));
    const inRoom = records.filter((r): r is ConnectionRecord => r?.channels.includes(channel.id) === true);
    // A seed 000 page gets it in its own envelope: the records read anyway say which speak a dialect.
    const dialects = new Map(
      inRoom.flatMap((r) => (r.dialect ? [[r.connectionId, r.dialect] as const] : [])),
    );
    return { ids: inRoom.map((r) => r.connectionId), dialects };
  }

  /**
   * POST /v1/locations (seed 000's location push): `location_update` {latitude, longitude, device_id} to
   * `device:{device_id}` and, when given, `room:{room}`; one event, and a connection on both channels gets
   * it once. (`device:` is the IoT feature's namespace: named through the registry, not imported.)
   */
  const location: Operation = async ({ body, attempt }) => {
    const input = validate(locationBody, body ?? {});
    const channels = [
      deps.channels.parse(`device:${input.device_id}`),
      ...(input.room ? [channelIn(room, input.room)] : []),
    ];
    const publication = await publish(deps, {
      channels,
      event: {
        type: 'location_update',
        latitude: input.latitude,
        longitude: input.longitude,
        device_id: input.device_id,
      },
      attempt,
    });
    return { status: 202, body: pushAnswer(publication) };
  };

  return { roomMessage, location };
}

/** The request schemas, for the contract documents (contract/http.ts). */
export { locationBody, roomMessageBody };
