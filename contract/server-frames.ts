import * as z from 'zod/mini';

/**
 * The frames the server sends (PROTOCOL.md sections 3 and 4), as schemas for the AsyncAPI document. The
 * server builds these frames as plain objects (the handlers validate what comes in, not what goes out), so
 * these schemas are the contract's own: test/unit/contract.test.ts checks every one against frames the real
 * handlers send. Objects are open: a client ignores fields it does not know.
 */

const str = () => z.string();
const nonNegative = () => z.number().check(z.int(), z.minimum(0));
const isoTime = () => z.string().check(z.iso.datetime());
const sender = () =>
  z.nullable(z.object({ id: str(), username: str() })).register(z.globalRegistry, {
    description: 'the publisher, from its token (null: anonymous); never taken from what it sent',
  });
const data = () => z.record(z.string(), z.unknown());

/** What every frame that comes from a channel has: `type`, `channel`, a server `id`, `timestamp`, `seq`. */
const envelope = <T extends string>(type: T) => ({
  type: z.literal(type),
  channel: z.optional(str()).register(z.globalRegistry, {
    description:
      'absent on a frame posted to connections without a channel (POST /v1/publish connection_ids)',
  }),
  id: str().register(z.globalRegistry, { description: 'a server id, sortable by time; one event, one id' }),
  timestamp: isoTime(),
  seq: z.optional(nonNegative()).register(z.globalRegistry, {
    description: "the event's place in its channel's history, on channels that keep one",
  }),
});

/** Answers to a client's own frames. */
export const replyFrames = {
  'connection.established': z.object({
    type: z.literal('connection.established'),
    connection_id: str(),
    user_id: z.nullable(str()),
    channels: z.array(str()),
    timestamp: isoTime(),
  }),
  pong: z.object({
    type: z.literal('pong'),
    timestamp: z.union([str(), z.number()]).register(z.globalRegistry, {
      description: "the ping's timestamp echoed, else the server's time",
    }),
  }),
  subscribed: z.object({
    type: z.literal('subscribed'),
    channel: str(),
    seq: z.optional(nonNegative()).register(z.globalRegistry, {
      description: "the channel's current seq, on channels that keep history",
    }),
    recovered: z.optional(z.boolean()).register(z.globalRegistry, {
      description:
        'with `since`: the stored messages after `since` follow this frame; false when not all of them could (read the rest with GET /v1/channels/{channel}/history)',
    }),
  }),
  unsubscribed: z.object({ type: z.literal('unsubscribed'), channel: str() }),
  /**
   * A seq that holds no message (its publish died): never delivered live; recovery (and HTTP history)
   * return it where the message would be.
   */
  void: z.object({ ...envelope('void'), seq: nonNegative() }),
  ack: z.object({
    type: z.literal('ack'),
    id: str().register(z.globalRegistry, { description: "the message's server id" }),
    ref: z.optional(str()).register(z.globalRegistry, { description: "the client's `id`, when it sent one" }),
    channel: z.optional(str()),
    seq: z.optional(nonNegative()),
    status: z.optional(z.enum(['delivered', 'queued'])).register(z.globalRegistry, {
      description:
        '`delivered`: posted to every subscriber before this ack; `queued`: a large audience, the fan-out workers deliver it',
    }),
    duplicate: z.optional(z.literal(true)).register(z.globalRegistry, {
      description: 'the `id` was seen on this channel within 24 hours: nothing was delivered or stored again',
    }),
    sensor_id: z
      .optional(str())
      .register(z.globalRegistry, { description: 'the ack of a `sensor_data` frame' }),
    timestamp: z.optional(isoTime()),
  }),
} as const;

/** Events of a channel (or posted to connections), every one in the envelope. */
export const eventFrames = {
  publication: z.object({ ...envelope('publication'), sender: sender(), data: data() }),
  chat_message: z.object({ ...envelope('chat_message'), message: str(), username: str(), sender: sender() }),
  notification: z.object({
    ...envelope('notification'),
    message: str(),
    event: z.optional(z.enum(['user_joined', 'user_left'])).register(z.globalRegistry, {
      description: 'on `room:`: a presence notice (with `user`)',
    }),
    user: z.optional(sender()),
    title: z.optional(str()).register(z.globalRegistry, { description: 'on `user:`: a notification' }),
    priority: z.optional(z.enum(['low', 'normal', 'high'])),
    link: z.optional(str()),
    data: z.optional(data()),
  }),
  api_message: z.object({
    ...envelope('api_message'),
    message: str(),
    sender: sender(),
    data: z.optional(data()),
  }),
  location_update: z.object({
    ...envelope('location_update'),
    latitude: z.number(),
    longitude: z.number(),
    device_id: str(),
  }),
  message: z.object({
    ...envelope('message'),
    message: z.object({
      id: str(),
      chat: str(),
      sender: z.object({ id: str(), username: str() }),
      content: str(),
      timestamp: isoTime(),
      seq: nonNegative(),
    }),
  }),
  event: z.object({ ...envelope('event'), org_id: str(), event_type: str(), data: data() }),
  counter_update: z.object({
    ...envelope('counter_update'),
    action: z.enum(['increment', 'decrement', 'reset', 'sync']),
    value: z.number(),
    counter: z.number().register(z.globalRegistry, { description: 'the new total' }),
    version: nonNegative(),
  }),
  user_count_update: z.object({ ...envelope('user_count_update'), count: nonNegative() }),
  sensor_data_update: z.object({
    ...envelope('sensor_data_update'),
    sensor_id: str(),
    sensor_type: str(),
    device_id: str(),
    device_name: z.nullable(str()),
    value: z.number(),
    unit: str(),
  }),
  device_status: z.object({
    ...envelope('device_status'),
    device_id: str(),
    device_name: str(),
    status: str(),
  }),
  live_stats: z.object({
    ...envelope('live_stats'),
    stats: z.object({
      connections: nonNegative(),
      channels: nonNegative(),
      users: nonNegative(),
      timestamp: isoTime(),
      formatted_time: str(),
    }),
  }),
} as const;

/** A service's own event (POST /v1/publish, the server library): its `type`, its `data` spread beside the envelope. */
export const serviceEventFrame = z.looseObject({
  ...envelope('service_event'),
  type: str().register(z.globalRegistry, {
    description: 'the type the service chose (never one the server reserves)',
  }),
});

/** `error`: the answer to a frame that failed; `code` is filled in from the table of codes by the generator. */
export const errorFrame = z.object({
  type: z.literal('error'),
  code: str(),
  message: str(),
  ref: z.optional(str()).register(z.globalRegistry, { description: "the client's `id`, when it sent one" }),
  retry_after_ms: z.optional(nonNegative()).register(z.globalRegistry, {
    description: 'the same frame may succeed when sent again after this long (IDEMPOTENCY_KEY_IN_USE)',
  }),
});

export type ReplyFrameType = keyof typeof replyFrames;
export type EventFrameType = keyof typeof eventFrames;
