/**
 * The protocol's error codes (PROTOCOL.md section 3) and the HTTP status each one maps to when it reaches an
 * HTTP caller as an RFC 9457 problem. One table, so no handler carries a magic number.
 */
export const errorCodes = {
  INVALID_JSON: { status: 400, title: 'Invalid JSON' },
  INVALID_MESSAGE: { status: 400, title: 'Invalid message' },
  MESSAGE_TOO_LONG: { status: 400, title: 'Message too long' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  UNKNOWN_TYPE: { status: 400, title: 'Unknown frame type' },
  INVALID_CHANNEL: { status: 400, title: 'Invalid channel' },
  CHANNEL_REQUIRED: { status: 400, title: 'Channel required' },
  NOT_SUBSCRIBED: { status: 409, title: 'Not subscribed' },
  UNAUTHORIZED: { status: 401, title: 'Unauthorized' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  RATE_LIMITED: { status: 429, title: 'Rate limited' },
  /** An idempotency key (a frame's `id`, an `Idempotency-Key`) sent again with another request. */
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency key reused' },
  /** The first request with that key is still being processed: send it again after `retry_after_ms`. */
  IDEMPOTENCY_KEY_IN_USE: { status: 409, title: 'Idempotency key in use' },
  INTERNAL: { status: 500, title: 'Internal error' },
  // HTTP-only codes: a WebSocket client never sees these.
  NOT_FOUND: { status: 404, title: 'Not found' },
  CONFLICT: { status: 409, title: 'Conflict' },
  TOO_MANY_CONNECTIONS: { status: 429, title: 'Too many connections' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCodes;

/** Base class of every error this project throws on purpose. */
export class SwitchboardError extends Error {
  override name = 'SwitchboardError';
}

/** An error a client caused and may be told about: it becomes an `error` frame or a problem document. */
export class ProtocolError extends SwitchboardError {
  override name = 'ProtocolError';
  readonly code: ErrorCode;
  readonly status: number;
  /** When the same request may succeed if sent again (milliseconds): `retry_after_ms`, HTTP Retry-After. */
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions & { retryAfterMs?: number }) {
    super(message, options);
    this.code = code;
    this.status = errorCodes[code].status;
    this.retryAfterMs = options?.retryAfterMs;
  }

  toFrame(ref?: string): ErrorFrame {
    return {
      type: 'error',
      code: this.code,
      message: this.message,
      ...(ref === undefined ? {} : { ref }),
      ...(this.retryAfterMs === undefined ? {} : { retry_after_ms: this.retryAfterMs }),
    };
  }

  toProblem(instance?: string): Problem {
    return {
      type: `urn:switchboard:problem:${this.code.toLowerCase().replaceAll('_', '-')}`,
      title: errorCodes[this.code].title,
      status: this.status,
      detail: this.message,
      code: this.code,
      ...(instance === undefined ? {} : { instance }),
      ...(this.retryAfterMs === undefined ? {} : { retry_after_ms: this.retryAfterMs }),
    };
  }
}

export type ErrorFrame = {
  type: 'error';
  code: ErrorCode;
  message: string;
  ref?: string;
  retry_after_ms?: number;
};

/** RFC 9457 problem details, with the protocol `code` as an extension member. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  [extension: string]: unknown;
}

/** The answer for a fault we did not expect: it names nothing of the server's internals. */
export const internalError = (cause?: unknown): ProtocolError =>
  new ProtocolError('INTERNAL', 'Internal error; the request was not processed', { cause });

/** Turns anything thrown into a ProtocolError, hiding what was not meant for clients. */
export const asProtocolError = (error: unknown): ProtocolError =>
  error instanceof ProtocolError ? error : internalError(error);
