import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Frame, TestClient, unique } from './support/client';
import { shared, token } from './support/stack';

const { wsUrl, httpUrl } = shared();
let client: TestClient;
const room = unique('room:');
const subscribedRoom = unique('room:');

beforeAll(async () => {
  client = await TestClient.connect(wsUrl, { token: await token(httpUrl, { sub: unique('alice-') }) });
  await client.request({ type: 'subscribe', channel: subscribedRoom }, 'subscribed');
});
afterAll(() => client.close());

const cases: [code: string, frame: Frame | string][] = [
  ['INVALID_JSON', 'this is not JSON'],
  ['INVALID_JSON', '[1,2,3]'],
  ['INVALID_MESSAGE', { type: 'subscribe' }],
  ['UNKNOWN_TYPE', { type: 'no-such-type' }],
  ['INVALID_CHANNEL', { type: 'subscribe', channel: 'nowhere:x' }],
  ['NOT_SUBSCRIBED', { type: 'publish', channel: room, data: { a: 1 } }],
  ['FORBIDDEN', { type: 'subscribe', channel: 'user:somebody-else' }],
  ['PAYLOAD_TOO_LARGE', { type: 'publish', channel: subscribedRoom, data: { blob: 'x'.repeat(20_000) } }],
];

describe('a bad frame', () => {
  it.each(cases)('gets %s and the connection stays open', async (code, frame) => {
    const error = await client.request(frame, 'error');
    expect(error).toMatchObject({ code, message: expect.any(String) });
    expect(await client.request({ type: 'ping', timestamp: code }, 'pong')).toMatchObject({
      timestamp: code,
    });
  });

  it('gets UNAUTHORIZED on an anonymous connection where a token is needed, and it stays open', async () => {
    const anonymous = await TestClient.connect(wsUrl);
    try {
      expect(await anonymous.request({ type: 'subscribe', channel: 'user:bob' }, 'error')).toMatchObject({
        code: 'UNAUTHORIZED',
      });
      expect(await anonymous.request({ type: 'ping' }, 'pong')).toMatchObject({ type: 'pong' });
    } finally {
      await anonymous.close();
    }
  });

  it('names the client frame id in ref', async () => {
    const error = await client.request(
      { type: 'publish', channel: room, data: { a: 1 }, id: 'mine-1' },
      'error',
    );
    expect(error).toMatchObject({ code: 'NOT_SUBSCRIBED', ref: 'mine-1' });
  });
});
