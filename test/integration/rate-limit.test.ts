import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/index';
import { TestClient, unique } from './support/client';
import { startTestStack } from './support/stack';

/** The per-connection rate limit (PROTOCOL.md section 7), on a stack whose limit is 10 frames a minute. */
const LIMIT = 10;
let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack({ env: { RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
});
afterAll(() => stack?.stop());

/** The limit counts per calendar minute: start with enough of the minute left for the whole test. */
async function freshMinute(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 20_000) await new Promise((resolve) => setTimeout(resolve, left + 100));
}

describe('the per-connection rate limit', () => {
  it('answers the frame over the limit with RATE_LIMITED and does not process it; other connections go on', async () => {
    const room = unique('room:');
    const watcher = await TestClient.connect(stack.wsUrl, { channels: [room] });
    await watcher.hello();
    await freshMinute();
    const sender = await TestClient.connect(stack.wsUrl, { channels: [room] });

    await sender.hello(); // frame 1
    for (let n = 2; n <= LIMIT - 1; n++) {
      expect(await sender.request({ type: 'ping', timestamp: `p${n}` }, 'pong')).toMatchObject({
        timestamp: `p${n}`,
      });
    }
    const last = await sender.request({ type: 'chat_message', message: 'the tenth', id: 'm-10' }, 'ack');
    expect(last).toMatchObject({ ref: 'm-10' });

    const refused = await sender.request(
      { type: 'chat_message', message: 'the eleventh', id: 'm-11' },
      'error',
    );
    expect(refused).toEqual({
      type: 'error',
      code: 'RATE_LIMITED',
      message: `More than ${LIMIT} frames in a minute; this frame was not processed`,
      ref: 'm-11',
    });
    expect((await sender.request({ type: 'ping' }, 'error')).code).toBe('RATE_LIMITED');

    const seen = (await watcher.sync()).filter((f) => f.type === 'chat_message').map((f) => f.message);
    expect(seen).toEqual(['the tenth']);
    expect(sender.ws.readyState).toBe(sender.ws.OPEN); // limited, not closed
    await Promise.all([sender.close(), watcher.close()]);
  });
});
