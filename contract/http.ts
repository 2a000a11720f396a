import * as z from 'zod/mini';
import type { $ZodType } from 'zod/v4/core';
import type { HttpRouteEntry } from '../shared/app/routes';
import { historyQuery } from '../shared/features/channels/history';
import {
  chatMessagesQuery,
  createChatBody,
  participantBody,
  sendChatMessageBody,
} from '../shared/features/chat/operations';
import { counterChangeBody } from '../shared/features/counters/counter';
import {
  deviceBody,
  deviceStatusBody,
  idParam,
  readingsQuery,
  sensorBody,
  sensorDataBody,
} from '../shared/features/iot/schemas';
import { livePushStartBody } from '../shared/features/live-stats/operations';
import { notificationBody } from '../shared/features/notifications/notify';
import { orgEventInput } from '../shared/features/orgs/org-events';
import { publishBody } from '../shared/features/publish/publish';
import { locationBody, roomMessageBody } from '../shared/features/rooms/push';
import { eventFrames } from './server-frames';

/** How the documents name one HTTP route: its method and path, as the route table has them. */
export type RouteKey = HttpRouteEntry extends infer R
  ? R extends HttpRouteEntry
    ? `${R['method']} ${R['path']}`
    : never
  : never;

export interface HttpRouteDoc {
  summary: string;
  description?: string;
  /** The schemas the operation validates with (shared/features/…): the request as documented. */
  body?: $ZodType;
  query?: $ZodType;
  /** Path parameters checked beyond "a string" (by name). */
  params?: Record<string, $ZodType>;
  /** The success answer: its status and body (none for 204). */
  status: number;
  response?: $ZodType;
  /** Other success answers (e.g. 207 with a partial report). */
  also?: Record<number, { description: string; response: $ZodType }>;
  /** Problems this route answers besides those every route of its kind may (see openapi.ts). */
  problems?: readonly number[];
}

// The answers are built by the operations as plain objects; these schemas are the contract's own, checked
// against real answers in test/unit/contract.test.ts.
const count = () => z.number().check(z.int(), z.minimum(0));
const isoTime = () => z.string().check(z.iso.datetime());
const text = () => z.string();

/**
 * What every push answers (core/publish.ts pushAnswer): `delivered` with the counts of a delivery made
 * before the answer, or `queued` (a large audience: the fan-out workers deliver it after the answer).
 */
const pushAnswer = <T extends Record<string, z.ZodMiniType>>(extra: T) => {
  const base = { id: text(), recipients: count(), seq: z.optional(count()), ...extra };
  return z.union([
    z.object({ ...base, status: z.literal('delivered'), delivered: count(), gone: count() }),
    z.object({ ...base, status: z.literal('queued') }),
  ]);
};
const pushAnswerSchema = pushAnswer({});
const chatView = z.object({
  id: text(),
  participants: z.array(text()),
  created_at: isoTime(),
  created_by: z.optional(text()),
});
const deviceView = z.object({ id: text(), name: text(), status: z.nullable(text()), updated_at: isoTime() });
const sensorView = z.object({
  id: text(),
  device_id: text(),
  sensor_type: text(),
  unit: text(),
  updated_at: isoTime(),
});
const ingestReport = z.object({
  stored: count(),
  rejected: z.array(z.object({ index: count(), code: text(), message: text() })),
});
const counterView = z.object({ counter: text(), value: z.number(), version: count() });
const livePushStatus = z.object({
  enabled: z.boolean(),
  channel: text(),
  interval_seconds: count(),
  generation: count(),
  started_at: z.nullable(isoTime()),
});
const nextCursor = z.nullable(text());

const id = { id: idParam };

export const httpRouteDocs: Record<RouteKey, HttpRouteDoc> = {
  'POST /v1/publish': {
    summary: 'Publishes one event to channels, users and connections',
    description:
      'At least one target (`channel`, `channels`, `user_ids`, `connection_ids`); `type` is any the server does not reserve, and the fields of `data` are spread into the frame beside the envelope. The body `id` is the idempotency key when no `Idempotency-Key` header is sent.',
    body: publishBody,
    status: 202,
    response: pushAnswerSchema,
  },
  'GET /v1/channels/{channel}/history': {
    summary: "A channel's stored messages after `since`, oldest first, as they were delivered",
    query: historyQuery,
    status: 200,
    response: z.object({
      channel: text(),
      messages: z.array(z.record(text(), z.unknown())),
      next: z.nullable(count()),
    }),
  },
  'GET /v1/channels/{channel}/presence': {
    summary: 'Who is subscribed to a channel',
    status: 200,
    response: z.object({
      channel: text(),
      count: count(),
      users: z.array(z.object({ id: text(), username: text() })),
      anonymous: count(),
    }),
  },
  'POST /v1/chats': {
    summary: 'Creates a private chat of the caller and the users named',
    body: createChatBody,
    status: 201,
    response: chatView,
  },
  'GET /v1/chats/{id}': {
    summary: 'Reads a chat (participants only)',
    status: 200,
    response: chatView,
    problems: [404],
  },
  'POST /v1/chats/{id}/participants': {
    summary: 'Adds a participant (participants only)',
    body: participantBody,
    status: 200,
    response: z.object({ id: text(), participants: z.array(text()) }),
    problems: [404],
  },
  'GET /v1/chats/{id}/messages': {
    summary: "A chat's messages, newest first, a page at a time",
    query: chatMessagesQuery,
    status: 200,
    response: z.object({ messages: z.array(eventFrames.message.shape.message), next: nextCursor }),
    problems: [404],
  },
  'POST /v1/chats/{id}/messages': {
    summary: 'Sends a message to a chat: stored, then broadcast over WebSocket',
    body: sendChatMessageBody,
    status: 201,
    response: eventFrames.message.shape.message,
    problems: [404],
  },
  'PUT /v1/devices/{id}': {
    summary: 'Registers or renames a device',
    params: id,
    body: deviceBody,
    status: 200,
    response: deviceView,
  },
  'GET /v1/devices/{id}': {
    summary: 'Reads a device',
    params: id,
    status: 200,
    response: deviceView,
    problems: [404],
  },
  'PUT /v1/devices/{id}/status': {
    summary: "Sets a device's status; `device_status` to `sensors` and `device:{id}`",
    params: id,
    body: deviceStatusBody,
    status: 202,
    response: pushAnswer({ device: deviceView }),
    problems: [404],
  },
  'PUT /v1/sensors/{id}': {
    summary: 'Registers a sensor of a registered device',
    params: id,
    body: sensorBody,
    status: 200,
    response: sensorView,
    problems: [404],
  },
  'GET /v1/sensors/{id}': {
    summary: 'Reads a sensor',
    params: id,
    status: 200,
    response: sensorView,
    problems: [404],
  },
  'GET /v1/sensors/{id}/readings': {
    summary: "A sensor's readings between `from` and `to` (inclusive), oldest first",
    params: id,
    query: readingsQuery,
    status: 200,
    response: z.object({
      readings: z.array(z.object({ sensor_id: text(), value: z.number(), timestamp: isoTime() })),
      next: nextCursor,
    }),
    problems: [404],
  },
  'POST /v1/sensor-data': {
    summary: 'Ingests readings (1-500), each checked on its own, and fans each out',
    description:
      'Each element of `readings` is `{sensor_id, value, timestamp?}` (as a `sensor_data` frame). 202 when all were stored, 207 when some were rejected, 400 (a problem with the same report) when none was.',
    body: sensorDataBody,
    status: 202,
    response: ingestReport,
    also: { 207: { description: 'Some readings were rejected', response: ingestReport } },
  },
  'POST /v1/orgs/{org}/events': {
    summary: "An event to an organisation's members (`event` on `org:{org}`)",
    description: 'A member of the organisation, or a caller with `realtime:publish`.',
    body: orgEventInput,
    status: 202,
    response: pushAnswer({ channel: text() }),
  },
  'GET /v1/health': { summary: 'Health check', status: 200, response: z.object({ status: z.literal('ok') }) },
  'POST /v1/rooms/{room}/messages': {
    summary: '`api_message` to a room, or only to `target_user`s connections in it',
    body: roomMessageBody,
    status: 202,
    response: pushAnswerSchema,
  },
  'POST /v1/locations': {
    summary: '`location_update` to `device:{device_id}` (and `room:{room}`)',
    body: locationBody,
    status: 202,
    response: pushAnswerSchema,
  },
  'POST /v1/notifications': {
    summary: '`notification` on `user:{user_id}`',
    description: '`user_id` defaults to the caller; notifying another user takes `realtime:publish`.',
    body: notificationBody,
    status: 202,
    response: pushAnswerSchema,
  },
  'GET /v1/counters/{name}': {
    summary: "A counter's total and version (0 and 0 for one never changed)",
    status: 200,
    response: counterView,
  },
  'POST /v1/counters/{name}': {
    summary: 'Changes a counter; `counter_update` to its subscribers',
    body: counterChangeBody,
    status: 200,
    response: counterView,
  },
  'GET /v1/live-push': { summary: 'The live stats push: its status', status: 200, response: livePushStatus },
  'POST /v1/live-push': {
    summary: 'Starts the live stats push (`live_stats` every interval)',
    body: livePushStartBody,
    status: 200,
    response: livePushStatus,
  },
  'DELETE /v1/live-push': { summary: 'Stops the live stats push', status: 200, response: livePushStatus },
  'GET /v1/stats': {
    summary: 'Connection, channel and user totals',
    status: 200,
    response: z.object({ connections: count(), channels: count(), users: count(), timestamp: isoTime() }),
  },
  'DELETE /v1/connections/{id}': { summary: 'Closes a connection', status: 204, problems: [404] },
};
