/**
 * Every error code a client can see, in one place. The server's codes (docs/PROTOCOL.md section 3) arrive
 * in `error` frames and RFC 9457 problems; the client adds its own for what only it can tell.
 */
export type ProtocolCode =
  | 'INVALID_JSON'
  | 'INVALID_MESSAGE'
  | 'MESSAGE_TOO_LONG'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNKNOWN_TYPE'
  | 'INVALID_CHANNEL'
  | 'CHANNEL_REQUIRED'
  | 'NOT_SUBSCRIBED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'IDEMPOTENCY_KEY_REUSED'
  /** The first publish with that id is still in progress: the client sends it again after `retryAfterMs`. */
  | 'IDEMPOTENCY_KEY_IN_USE'
  | 'INTERNAL'
  // HTTP API only
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'TOO_MANY_CONNECTIONS';

export type ClientCode =
  /** `publish` while not connected and `maxQueued` publishes already wait. */
  | 'QUEUE_FULL'
  /** `close()` was called: the publish, subscription or call can no longer complete. */
  | 'CLOSED'
  /** The handshake was refused twice in a row (401/403, or the server answered HTTP but not WebSocket). */
  | 'REFUSED'
  /** No answer in `timeoutMs`: an `ack`, a `subscribed`, `connection.established`. */
  | 'TIMEOUT'
  /** A seq gap that neither the replay nor HTTP history could fill (trimmed, or never stored). */
  | 'MESSAGES_LOST'
  /** `getToken` threw or rejected. */
  | 'TOKEN'
  /** The WebSocket could not even be created (a browser's SecurityError: ws:// from an https:// page). */
  | 'TRANSPORT'
  /** An HTTP request failed without a problem document (network, CORS, a proxy's error page). */
  | 'HTTP'
  /** `subscribe` of a channel that already has a subscription. */
  | 'ALREADY_SUBSCRIBED';

export type ErrorCode = ProtocolCode | ClientCode;

export interface ErrorDetails {
  /** The HTTP status, where one is known (HTTP API calls; the handshake in Node with `ws`). */
  status?: number;
  /** The client's id the server's error refers to (a publish's `id`). */
  ref?: string;
  /** MESSAGES_LOST: the first and last seq that were lost. */
  lost?: [number, number];
  /** When the same request may succeed if sent again (IDEMPOTENCY_KEY_IN_USE). */
  retryAfterMs?: number;
}

export class SwitchboardError extends Error {
  override name = 'SwitchboardError';
  status?: number;
  ref?: string;
  lost?: [number, number];
  retryAfterMs?: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    details: ErrorDetails = {},
  ) {
    super(message);
    Object.assign(this, details);
  }
}
