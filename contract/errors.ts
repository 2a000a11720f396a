import { type ErrorCode, errorCodes } from '../shared/core/errors';
import type { JsonSchema } from './json-schema';

/**
 * What each protocol code means (PROTOCOL.md section 3), and whether a WebSocket client can see it in an
 * `error` frame (the others reach HTTP callers only, or refuse a handshake). A Record of every ErrorCode:
 * a code added to shared/core/errors.ts does not compile until it is described here.
 */
export const errorDescriptions: Record<ErrorCode, { when: string; websocket: boolean }> = {
  INVALID_JSON: { when: 'not JSON, or not an object', websocket: true },
  INVALID_MESSAGE: { when: 'a field missing or of the wrong type (the message says which)', websocket: true },
  MESSAGE_TOO_LONG: {
    when: "chat text over 1000 characters, or content over the namespace's limit",
    websocket: true,
  },
  PAYLOAD_TOO_LARGE: { when: '`data` (or an HTTP body) over the limit', websocket: true },
  UNKNOWN_TYPE: { when: 'a `type` the server does not know', websocket: true },
  INVALID_CHANNEL: { when: 'malformed channel name or unknown namespace', websocket: true },
  CHANNEL_REQUIRED: {
    when: 'no `channel`, and not exactly one subscribed channel of the fitting namespace',
    websocket: true,
  },
  NOT_SUBSCRIBED: { when: 'publishing where the namespace requires a subscription first', websocket: true },
  UNAUTHORIZED: { when: 'the namespace or route needs an authenticated caller', websocket: true },
  FORBIDDEN: {
    when: "authenticated, but not allowed (not a participant, not an org member, another user's channel)",
    websocket: true,
  },
  RATE_LIMITED: { when: 'more than the allowed frames per minute from one connection', websocket: true },
  IDEMPOTENCY_KEY_REUSED: {
    when: 'an idempotency key (a frame `id`, an `Idempotency-Key`) sent again with another request within 24 hours',
    websocket: true,
  },
  IDEMPOTENCY_KEY_IN_USE: {
    when: 'the first request with that key (or frame `id`) is still in progress: send it again after `retry_after_ms`',
    websocket: true,
  },
  INTERNAL: { when: 'a fault on the server; the message says nothing of its internals', websocket: true },
  NOT_FOUND: { when: 'no such resource (chat, device, sensor, connection)', websocket: false },
  CONFLICT: {
    when: 'the resource is in a state that forbids the change (a chat at its participant limit)',
    websocket: false,
  },
  TOO_MANY_CONNECTIONS: {
    when: "the user's connection limit is reached (refuses a WebSocket handshake with 429)",
    websocket: false,
  },
};

export const ALL_CODES = Object.keys(errorCodes) as ErrorCode[];
export const WEBSOCKET_CODES = ALL_CODES.filter((c) => errorDescriptions[c].websocket);

/** A `code` member: one of `codes`, each with its meaning. */
export const codeSchema = (codes: readonly ErrorCode[]): JsonSchema => ({
  type: 'string',
  oneOf: codes.map((code) => ({
    const: code,
    title: errorCodes[code].title,
    description: `${errorDescriptions[code].when} (HTTP ${errorCodes[code].status})`,
  })),
});

/** The codes that answer with this HTTP status. */
export const codesWithStatus = (status: number): ErrorCode[] =>
  ALL_CODES.filter((c) => errorCodes[c].status === status);
