import type { $ZodType } from 'zod/v4/core';
import {
  helloFrame,
  pingFrame,
  publishFrame,
  subscribeFrame,
  unsubscribeFrame,
} from '../shared/core/session/session-frames';
import { chatContentFrame } from '../shared/features/chat/frames';
import { counterFrameSchema } from '../shared/features/counters/counter';
import { sensorDataFrame } from '../shared/features/iot/frames';
import type { FeatureName, FrameType, manifests } from '../shared/features/manifests';
import { chatMessageFrame } from '../shared/features/rooms/chat-message';

/** A frame without a `type`, told apart by one of its fields (the seed clients' `{"content": …}`). */
export type TypelessField = (typeof manifests)[FeatureName]['typeless'][number];

export interface ClientFrameDoc {
  /** The very schema its handler validates with. */
  schema: $ZodType;
  summary: string;
  /** The server frames that answer it (by type), besides `error`. */
  replies: readonly string[];
}

/**
 * Every client frame (PROTOCOL.md section 3), keyed as the route table and the frame router know them:
 * a Record of every frame type and typeless field, so one added to a manifest does not compile until it
 * is documented here.
 */
export const clientFrames: Record<FrameType, ClientFrameDoc> = {
  hello: {
    schema: helloFrame,
    summary: 'Asks for the connection details (the server says nothing first)',
    replies: ['connection.established'],
  },
  ping: {
    schema: pingFrame,
    summary: 'Heartbeat, well inside the 10-minute idle timeout',
    replies: ['pong'],
  },
  subscribe: {
    schema: subscribeFrame,
    summary:
      'Subscribes to a channel; with `since` (a seq), every stored message after it follows the answer, in order (a `void` marker where a seq holds no message)',
    replies: ['subscribed', 'void'],
  },
  unsubscribe: { schema: unsubscribeFrame, summary: 'Leaves a channel', replies: ['unsubscribed'] },
  publish: {
    schema: publishFrame,
    summary:
      'Publishes `data` to a channel whose namespace lets clients publish; subscribers get `publication`. `id` makes it idempotent for 24 hours',
    replies: ['ack'],
  },
  chat_message: {
    schema: chatMessageFrame,
    summary: 'A chat text to a `room:` channel (seed 001); subscribers get `chat_message`',
    replies: ['ack'],
  },
  message: {
    schema: chatContentFrame,
    summary: 'A message to a private `chat:` (seed 003); participants get `message`',
    replies: ['ack'],
  },
  sensor_data: {
    schema: sensorDataFrame,
    summary: 'One sensor reading (seed 002): stored, then `sensor_data_update` to its channels',
    replies: ['ack'],
  },
};

export const typelessFrames: Record<TypelessField, ClientFrameDoc> = {
  content: {
    schema: chatContentFrame,
    summary: 'A seed 003 chat message without `type`: as `message`',
    replies: ['ack'],
  },
  action: {
    schema: counterFrameSchema,
    summary:
      "A seed 001 counter change without `type`: `counter_update` to the counter's subscribers (this connection included)",
    replies: [],
  },
};
