/**
 * The one table of WebSocket close codes. Every close the emulator initiates is one of `closes`, with the
 * code API Gateway sends in that case (PROTOCOL.md section 7); no other file in local/ writes a number.
 */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  /** Reported, never sent: the client's close frame had no status code. */
  noStatus: 1005,
  /** Reported, never sent: the socket died without a close frame. */
  abnormal: 1006,
  invalidPayload: 1007,
  messageTooBig: 1009,
} as const;

export interface CloseInfo {
  code: number;
  reason: string;
}

export const closes = {
  frameTooBig: { code: CloseCode.messageTooBig, reason: 'Frame exceeds the 32 KB limit' },
  messageTooBig: { code: CloseCode.messageTooBig, reason: 'Message exceeds the 128 KB limit' },
  binary: { code: CloseCode.unsupportedData, reason: 'Binary frames are not supported' },
  idle: { code: CloseCode.goingAway, reason: 'Going away' },
  lifetime: { code: CloseCode.goingAway, reason: 'Going away' },
  /** DELETE @connections/{id}. */
  deleted: { code: CloseCode.normal, reason: '' },
  /** The local stack is stopping. */
  shutdown: { code: CloseCode.goingAway, reason: 'Going away' },
  /** A text frame that is not UTF-8 (`ws` closes by itself). */
  invalidUtf8: { code: CloseCode.invalidPayload, reason: 'Invalid UTF-8 in text frame' },
  /** Any other breach of RFC 6455 `ws` detects (unmasked frame, bad opcode, reserved bits…). */
  protocolError: { code: CloseCode.protocolError, reason: 'Protocol error' },
} as const satisfies Record<string, CloseInfo>;

/** The close `ws` itself sent for one of its receiver errors (`WS_ERR_…` codes), for `$disconnect`. */
export function closeForWsError(errorCode: string | undefined): CloseInfo | undefined {
  if (!errorCode?.startsWith('WS_ERR_')) return undefined;
  if (errorCode === 'WS_ERR_INVALID_UTF8') return closes.invalidUtf8;
  if (
    errorCode === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ||
    errorCode === 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH'
  ) {
    return closes.messageTooBig;
  }
  return closes.protocolError;
}

/** What `$disconnect` reports for a close the client or the network caused. */
export function clientClose(code: number, reason: string): CloseInfo {
  if (code === CloseCode.noStatus) return { code, reason: 'Client-side close frame status not set' };
  if (code === CloseCode.abnormal && !reason) return { code, reason: 'Connection closed abnormally' };
  return { code, reason };
}
