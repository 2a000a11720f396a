import { type ZodError, z } from 'zod';
import { ProtocolError } from './errors';

/**
 * Client frames of PROTOCOL.md section 3. Types come from the schemas; a handler only ever sees a frame
 * that passed its schema. Unknown extra fields are ignored (and never echoed).
 */
export const clientMessageId = z.string().min(1).max(64);
export const channelField = z.string().min(1).max(200);

export const helloFrame = z.object({ type: z.literal('hello') });
export const pingFrame = z.object({
  type: z.literal('ping'),
  timestamp: z.union([z.string().max(64), z.number()]).optional(),
});
export const subscribeFrame = z.object({
  type: z.literal('subscribe'),
  channel: channelField,
  since: z.number().int().min(0).optional(),
});
export const unsubscribeFrame = z.object({ type: z.literal('unsubscribe'), channel: channelField });
export const publishFrame = z.object({
  type: z.literal('publish'),
  channel: channelField,
  data: z.record(z.string(), z.unknown()),
  id: clientMessageId.optional(),
});

export type HelloFrame = z.infer<typeof helloFrame>;
export type PingFrame = z.infer<typeof pingFrame>;
export type SubscribeFrame = z.infer<typeof subscribeFrame>;
export type UnsubscribeFrame = z.infer<typeof unsubscribeFrame>;
export type PublishFrame = z.infer<typeof publishFrame>;

/** A frame the server sends: always a `type`, the rest depends on it. */
export type ServerFrame = { type: string } & Record<string, unknown>;

/** The fields every frame that comes from a channel carries; an event's own fields cannot override them. */
export interface ChannelFrameEnvelope {
  type: string;
  channel?: string;
  id: string;
  timestamp: string;
  seq?: number;
}

/** Parses a frame's text: INVALID_JSON unless it is a JSON object. */
export function parseFrameText(text: string | null | undefined): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text ?? '');
  } catch {
    throw new ProtocolError('INVALID_JSON', 'Frame is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('INVALID_JSON', 'Frame must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** Validates against a schema; INVALID_MESSAGE naming the first field at fault. */
export function validate<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  // With the input on each issue, describeZodError can tell a missing field from one of the wrong type.
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success) throw new ProtocolError('INVALID_MESSAGE', describeZodError(result.error));
  return result.data;
}

export function describeZodError(error: ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'Invalid message';
  const path = issue.path.map(String).join('.');
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${path || 'value'} is required`;
  if (issue.code === 'too_big' && issue.origin === 'string') {
    return `${path} must be at most ${issue.maximum} characters`;
  }
  if (issue.code === 'too_small' && issue.origin === 'string' && issue.minimum === 1) {
    return `${path} must not be empty`;
  }
  return path ? `${path}: ${issue.message}` : issue.message;
}

/** ISO 8601 UTC with milliseconds, e.g. 2025-01-27T12:30:45.123Z. */
export const isoTime = (epochMs: number): string => new Date(epochMs).toISOString();

const encoder = new TextEncoder();
export const byteLength = (s: string): number => encoder.encode(s).length;

/** PAYLOAD_TOO_LARGE when `data`, as JSON, is over `max` bytes (MAX_DATA_BYTES, or a namespace's own). */
export function checkDataSize(data: unknown, max: number): void {
  const size = byteLength(JSON.stringify(data));
  if (size > max) {
    throw new ProtocolError('PAYLOAD_TOO_LARGE', `data is ${size} bytes; at most ${max} bytes are allowed`);
  }
}
