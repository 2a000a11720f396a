/**
 * The one table of WebSocket close codes. Every close the emulator initiates is one of `closes`, with the
 * code API Gateway sends in that case (PROTOCOL.md section 7); no other file in local/ writes a number.
 */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  unsupportedData: 1003,
  /** Reported, never sent: the client's close frame had no status code. */
  noStatus: 1005,
  /** Reported, never sent: the socket died without a close frame. */
  abnormal: 1006,
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
} as const satisfies Record<string, CloseInfo>;

/** What `$disconnect` reports for a close the client or the network caused. */
export function clientClose(code: number, reason: string): CloseInfo {
  if (code === CloseCode.noStatus) return { code, reason: 'Client-side close frame status not set' };
  if (code === CloseCode.abnormal && !reason) return { code, reason: 'Connection closed abnormally' };
  return { code, reason };
}
