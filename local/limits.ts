/** API Gateway's limits that the emulator enforces (PROTOCOL.md section 7), in one place. */
export const WS_LIMITS = {
  /** One frame from a client; larger closes 1009. */
  maxFrameBytes: 32 * 1024,
  /** One message (all its frames) from a client, and one Management API post; larger closes 1009 / 413. */
  maxMessageBytes: 128 * 1024,
  idleTimeoutMs: 10 * 60 * 1000,
  maxLifetimeMs: 2 * 60 * 60 * 1000,
} as const;

/** The HTTP API's request payload limit. */
export const HTTP_MAX_BODY_BYTES = 10 * 1024 * 1024;
