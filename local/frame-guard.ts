import type { Duplex } from 'node:stream';

/**
 * API Gateway closes a connection with 1009 when one frame carries more than 32 KB, even when the message
 * it belongs to is under the 128 KB message limit, with 1009 when a message's frames add up to more than
 * 128 KB, and with 1003 on a binary frame. `ws` only knows a per-message limit (`maxPayload`, kept as a
 * backstop), so this guard reads the frame headers off the raw socket, ahead of `ws`, and reports the
 * first offending frame before `ws` has seen its payload.
 *
 * It also counts the messages completed before that frame: `ws` may still emit them (they can arrive in
 * the same TCP chunk), and the session dispatches exactly those and nothing after.
 */
export type FrameViolation = 'frame-too-big' | 'message-too-big' | 'binary';

export interface FrameLimits {
  maxFrameBytes: number;
  maxMessageBytes: number;
}

const OPCODE_CONTINUATION = 0x0;
const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;
const MAX_HEADER_BYTES = 14; // 2 + 8 (64-bit length) + 4 (mask)

export class FrameGuard {
  /** Data messages whose final frame arrived before the violation (all of them while there is none). */
  messagesBefore = 0;
  violation: FrameViolation | null = null;

  readonly #limits: FrameLimits;
  readonly #onViolation: (violation: FrameViolation) => void;
  readonly #header = Buffer.alloc(MAX_HEADER_BYTES);
  #headerBytes = 0;
  #payloadLeft = 0;
  /** Payload bytes of the message being received so far. */
  #messageBytes = 0;

  constructor(limits: FrameLimits, onViolation: (violation: FrameViolation) => void) {
    this.#limits = limits;
    this.#onViolation = onViolation;
  }

  /** Feeds the bytes `ws` is about to read. */
  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length && this.violation === null) {
      if (this.#payloadLeft > 0) {
        const skipped = Math.min(this.#payloadLeft, chunk.length - offset);
        this.#payloadLeft -= skipped;
        offset += skipped;
        continue;
      }
      this.#header[this.#headerBytes++] = chunk[offset++]!;
      if (this.#headerBytes === headerLength(this.#header, this.#headerBytes)) this.#onHeader();
    }
  }

  #onHeader(): void {
    const h = this.#header;
    const fin = (h[0]! & 0x80) !== 0;
    const opcode = h[0]! & 0x0f;
    const length = payloadLength(h);
    this.#headerBytes = 0;
    this.#payloadLeft = length;
    const violation = this.#check(fin, opcode, length);
    if (violation) {
      this.violation = violation;
      this.#onViolation(violation);
    }
  }

  #check(fin: boolean, opcode: number, length: number): FrameViolation | null {
    if (opcode !== OPCODE_CONTINUATION && opcode !== OPCODE_TEXT && opcode !== OPCODE_BINARY) return null;
    if (opcode === OPCODE_BINARY) return 'binary';
    if (length > this.#limits.maxFrameBytes) return 'frame-too-big';
    this.#messageBytes = opcode === OPCODE_CONTINUATION ? this.#messageBytes + length : length;
    if (this.#messageBytes > this.#limits.maxMessageBytes) return 'message-too-big';
    if (fin) this.messagesBefore++;
    return null;
  }
}

/** The full header length once enough of it is known, else null. */
function headerLength(h: Buffer, have: number): number | null {
  if (have < 2) return null;
  const len7 = h[1]! & 0x7f;
  const extended = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
  const mask = (h[1]! & 0x80) !== 0 ? 4 : 0;
  return 2 + extended + mask;
}

function payloadLength(h: Buffer): number {
  const len7 = h[1]! & 0x7f;
  if (len7 === 126) return h.readUInt16BE(2);
  // 64-bit lengths beyond 2^53 are far past any limit; precision does not matter there.
  if (len7 === 127) return h.readUInt32BE(2) * 2 ** 32 + h.readUInt32BE(6);
  return len7;
}

/**
 * Puts a guard in front of `ws` on an upgraded socket. Call it right after the upgrade completes: the
 * listener is prepended, so it sees every chunk before `ws`'s own 'data' listener does.
 */
export function guardSocket(
  socket: Duplex,
  limits: FrameLimits,
  onViolation: (violation: FrameViolation) => void,
): FrameGuard {
  const guard = new FrameGuard(limits, (violation) => {
    socket.removeListener('data', listener);
    onViolation(violation);
  });
  const listener = (chunk: Buffer) => guard.push(chunk);
  socket.prependListener('data', listener);
  return guard;
}
