import { z } from 'zod';
import { senderOf } from '../../auth/principal';
import { type Channel, parseChannel } from '../../channels';
import type { Deps } from '../../domain/context';
import { postWithRetry, removeGone } from '../../domain/fanout';
import { mapBounded } from '../../domain/pool';
import { type EventFields, publishEvent } from '../../domain/publish';
import type { OperationInput, OperationResult } from '../../http';
import { checkDataSize, isoTime, validate } from '../../protocol';
import { type PushReport, pushReport } from '../delivery';
import { chatText, nameField } from '../fields';

const dataField = z.record(z.string(), z.unknown());

const roomMessageBody = z.object({
  message: z.string(),
  // A user id is a token `sub` (any string), not a channel name.
  target_user: z.string().min(1).max(255).nullish(),
  data: dataField.nullish(),
});

/**
 * POST /v1/rooms/{room}/messages (seed 000's "send from REST"): `api_message` {message, sender, data?} to
 * the room, with seq and history; with `target_user`, only that user's connections in the room get it,
 * posted to directly and not stored (seed 000's "select specific sockets, not broadcast to all").
 */
export async function roomMessageOperation({
  deps,
  principal,
  params,
  body,
}: OperationInput): Promise<OperationResult> {
  const room = parseChannel(`room:${params.room ?? ''}`);
  const input = validate(roomMessageBody, body ?? {});
  const message = chatText(input.message);
  if (input.data) checkDataSize(input.data, deps.config.limits.maxDataBytes);
  const event: EventFields = {
    type: 'api_message',
    message,
    sender: senderOf(principal),
    ...(input.data ? { data: input.data } : {}),
  };
  const report = input.target_user
    ? await postToUserIn(deps, room, input.target_user, event)
    : pushReport(await publishEvent(deps, { channel: room, event }));
  return { status: 202, body: report };
}

/**
 * One user's connections in a channel: found through the user's own index (at most the per-user
 * connection limit), not by reading the whole room's subscribers.
 */
async function postToUserIn(deps: Deps, channel: Channel, userId: string, event: EventFields) {
  const ids = await deps.connections.connectionsOfUser(userId);
  const records = await mapBounded(ids, 10, (id) => deps.connections.get(id));
  const targets = records.filter((r) => r?.channels.includes(channel.id)).map((r) => r!.connectionId);
  const id = deps.ids.next();
  const { type, ...fields } = event;
  const frame = { type, channel: channel.id, id, timestamp: isoTime(deps.clock.now()), ...fields };
  const payload = new TextEncoder().encode(JSON.stringify(frame));
  const report: PushReport = { id, recipients: targets.length, delivered: 0 };
  await mapBounded(targets, 10, async (connectionId) => {
    const outcome = await postWithRetry(deps, connectionId, payload);
    if (outcome === 'delivered') report.delivered++;
    if (outcome === 'gone') await removeGone(deps, connectionId, channel.id);
  });
  return report;
}

const locationBody = z.object({
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  device_id: nameField,
  room: nameField.nullish(),
});

/**
 * POST /v1/locations (seed 000's location push): `location_update` {latitude, longitude, device_id} to
 * `device:{device_id}` and, when given, `room:{room}`; one event id for both, and a connection on both
 * channels gets it once.
 */
export async function locationOperation({ deps, body }: OperationInput): Promise<OperationResult> {
  const input = validate(locationBody, body ?? {});
  const channels = [
    parseChannel(`device:${input.device_id}`),
    ...(input.room ? [parseChannel(`room:${input.room}`)] : []),
  ];
  const event: EventFields = {
    type: 'location_update',
    latitude: input.latitude,
    longitude: input.longitude,
    device_id: input.device_id,
  };
  const id = deps.ids.next();
  const reached = new Set<string>();
  const report: PushReport = { id, recipients: 0, delivered: 0 };
  for (const channel of channels) {
    const r = await publishEvent(deps, { channel, event, id, reached });
    report.recipients += r.recipients;
    report.delivered += r.delivered;
  }
  return { status: 202, body: report };
}
