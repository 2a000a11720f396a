import { describe, expect, it } from 'vitest';
import { FrameGuard, type FrameViolation } from '../../local/frame-guard';

/** A client frame's header as it travels on the wire: FIN, opcode, 7-, 16- or 64-bit length, mask key. */
function frameHeader(opcode: number, payloadBytes: number, fin = true, length64 = false): Buffer {
  const mask = Buffer.from([1, 2, 3, 4]);
  let header: Buffer;
  if (payloadBytes < 126 && !length64) header = Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | payloadBytes]);
  else if (payloadBytes < 65_536 && !length64) {
    header = Buffer.alloc(4);
    header.writeUInt16BE(payloadBytes, 2);
    header[1] = 0x80 | 126;
  } else {
    header = Buffer.alloc(10);
    header.writeUInt32BE(Math.floor(payloadBytes / 2 ** 32), 2);
    header.writeUInt32BE(payloadBytes % 2 ** 32, 6);
    header[1] = 0x80 | 127;
  }
  header[0] = (fin ? 0x80 : 0) | opcode;
  return Buffer.concat([header, mask]);
}
const frame = (opcode: number, payloadBytes: number, fin = true, length64 = false): Buffer =>
  Buffer.concat([frameHeader(opcode, payloadBytes, fin, length64), Buffer.alloc(payloadBytes, 0x61)]);
const TEXT = 0x1;
const BINARY = 0x2;
const CONTINUATION = 0x0;
const PING = 0x9;
const limits = { maxFrameBytes: 32 * 1024, maxMessageBytes: 128 * 1024 };

function run(
  bytes: Buffer,
  chunkSize: number,
): { violation: FrameViolation | null; before: number; calls: number } {
  let calls = 0;
  const guard = new FrameGuard(limits, () => calls++);
  for (let i = 0; i < bytes.length; i += chunkSize) guard.push(bytes.subarray(i, i + chunkSize));
  return { violation: guard.violation, before: guard.messagesBefore, calls };
}

// Every case in one chunk, byte by byte, and in odd-sized chunks: frame boundaries fall anywhere.
const chunkings = [Number.MAX_SAFE_INTEGER, 1, 7, 1000];

describe('the frame guard', () => {
  it.each(chunkings)('lets frames up to 32 KB and messages up to 128 KB through (chunks of %d)', (chunk) => {
    const stream = Buffer.concat([
      frame(TEXT, 10),
      frame(TEXT, 32 * 1024),
      frame(PING, 4),
      frame(TEXT, 32 * 1024, false),
      frame(CONTINUATION, 32 * 1024, false),
      frame(PING, 0),
      frame(CONTINUATION, 32 * 1024, false),
      frame(CONTINUATION, 32 * 1024, true),
      frame(TEXT, 200, true, true),
    ]);
    expect(run(stream, chunk)).toEqual({ violation: null, before: 4, calls: 0 });
  });

  it.each(chunkings)(
    'reports a frame over 32 KB once, after the messages before it (chunks of %d)',
    (chunk) => {
      const stream = Buffer.concat([frame(TEXT, 5), frame(TEXT, 32 * 1024 + 1), frame(TEXT, 5)]);
      expect(run(stream, chunk)).toEqual({ violation: 'frame-too-big', before: 1, calls: 1 });
    },
  );

  it('reports a frame announced with a 64-bit length before its payload arrives', () => {
    const header = frameHeader(TEXT, 5 * 2 ** 32, true, true);
    expect(run(header, 3)).toMatchObject({ violation: 'frame-too-big' });
  });

  it.each(chunkings)('reports a message whose frames add up to more than 128 KB (chunks of %d)', (chunk) => {
    const parts = [frame(TEXT, 30 * 1024, false)];
    for (let i = 0; i < 4; i++) parts.push(frame(CONTINUATION, 30 * 1024, i === 3));
    expect(run(Buffer.concat(parts), chunk)).toEqual({ violation: 'message-too-big', before: 0, calls: 1 });
  });

  it('reports a binary frame, even a small one', () => {
    expect(run(Buffer.concat([frame(TEXT, 3), frame(BINARY, 3)]), 2)).toEqual({
      violation: 'binary',
      before: 1,
      calls: 1,
    });
  });
});
