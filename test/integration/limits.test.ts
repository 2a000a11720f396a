import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/index';
import { TestClient } from './support/client';
import { recorder, startTestStack, wsContext } from './support/stack';

const KB = 1024;
/** A ping frame of exactly `bytes` bytes (extra fields are ignored, so it gets a pong). */
const pingOf = (bytes: number, mark: string) => {
  const head = `{"type":"ping","timestamp":"${mark}","pad":"`;
  return `${head}${'x'.repeat(bytes - head.length - 2)}"}`;
};

/** Sends one message as several frames, as a fragmenting client does. */
function sendFragmented(client: TestClient, text: string, frameBytes: number): void {
  for (let i = 0; i < text.length; i += frameBytes) {
    const last = i + frameBytes >= text.length;
    client.ws.send(text.slice(i, i + frameBytes), { fin: last, binary: false });
  }
}

let stack: LocalStack;
const calls = recorder();
const disconnectOf = (connectionId: string) =>
  calls.waitFor((i) => i.lambda === 'ws-disconnect' && wsContext(i.event).connectionId === connectionId);
/** Frames that reached ws-message (recorded when dispatched, not when answered). */
const framesSeen = (mark: string) =>
  calls.started
    .filter((i) => i.lambda === 'ws-message')
    .filter((i) => String((i.event as { body: string }).body).includes(mark));

beforeAll(async () => {
  stack = await startTestStack({ observe: calls.observe });
});
afterAll(() => stack.stop());

async function connected(): Promise<{ client: TestClient; id: string }> {
  const client = await TestClient.connect(stack.wsUrl);
  return { client, id: String((await client.hello()).connection_id) };
}

describe('frame and message limits', () => {
  it('accepts a frame of exactly 32 KB', async () => {
    const { client } = await connected();
    expect(await client.request(pingOf(32 * KB, 'exact'), 'pong')).toMatchObject({ timestamp: 'exact' });
    await client.close();
  });

  it('closes with 1009 on a single frame over 32 KB, and never dispatches it', async () => {
    const { client, id } = await connected();
    client.send(pingOf(32 * KB + 1, 'one-too-many'));
    expect((await client.closed).code).toBe(1009);
    const disconnect = await disconnectOf(id);
    expect(wsContext(disconnect.event)).toMatchObject({ disconnectStatusCode: 1009 });
    expect(framesSeen('one-too-many')).toHaveLength(0);
  });

  it('closes with 1009 on a fragmented message over 128 KB, and never dispatches it', async () => {
    const { client, id } = await connected();
    sendFragmented(client, pingOf(130 * KB, 'too-long'), 30 * KB);
    expect((await client.closed).code).toBe(1009);
    expect(wsContext((await disconnectOf(id)).event)).toMatchObject({ disconnectStatusCode: 1009 });
    expect(framesSeen('too-long')).toHaveLength(0);
  });

  it('accepts a fragmented 100 KB message made of 32 KB frames', async () => {
    const { client } = await connected();
    sendFragmented(client, pingOf(100 * KB, 'fragmented'), 32 * KB);
    expect(await client.nextOfType('pong')).toMatchObject({ timestamp: 'fragmented' });
    expect(framesSeen('fragmented')).toHaveLength(1);
    await client.close();
  });

  it('closes with 1003 on a binary frame', async () => {
    const { client, id } = await connected();
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await client.closed).code).toBe(1003);
    expect(wsContext((await disconnectOf(id)).event)).toMatchObject({ disconnectStatusCode: 1003 });
  });

  it('still dispatches the frames that came before the offending one', async () => {
    const { client } = await connected();
    client.send({ type: 'ping', timestamp: 'earlier-frame' });
    client.send(pingOf(40 * KB, 'oversized-frame'));
    expect((await client.closed).code).toBe(1009);
    const before = await calls.waitFor(
      (i) =>
        i.lambda === 'ws-message' && String((i.event as { body: string }).body).includes('earlier-frame'),
    );
    expect(wsContext(before.event).routeKey).toBe('ping');
    expect(framesSeen('oversized-frame')).toHaveLength(0);
  });
});

describe('idle timeout and maximum lifetime', () => {
  it('closes an idle connection with 1001 Going away, and data frames keep it alive until then', async () => {
    const idle = recorder();
    const short = await startTestStack({ idleTimeoutMs: 1_000, observe: idle.observe });
    try {
      const client = await TestClient.connect(short.wsUrl);
      const id = String((await client.hello()).connection_id);
      // Twice the idle timeout, a frame every 150 ms: still open.
      for (let i = 0; i < 12; i++) {
        await client.request({ type: 'ping' }, 'pong');
        await new Promise((r) => setTimeout(r, 150));
      }
      expect(client.ws.readyState).toBe(client.ws.OPEN);
      expect(await client.closed).toEqual({ code: 1001, reason: 'Going away' });
      const disconnect = await idle.waitFor((i) => i.lambda === 'ws-disconnect');
      expect(wsContext(disconnect.event)).toMatchObject({ connectionId: id, disconnectStatusCode: 1001 });
    } finally {
      await short.stop();
    }
  });

  it('closes a busy connection with 1001 Going away at the end of its lifetime', async () => {
    const short = await startTestStack({ maxLifetimeMs: 800 });
    try {
      const client = await TestClient.connect(short.wsUrl);
      const pinging = setInterval(() => client.send({ type: 'ping' }), 100);
      const closed = await client.closed;
      clearInterval(pinging);
      expect(closed).toEqual({ code: 1001, reason: 'Going away' });
    } finally {
      await short.stop();
    }
  });
});
