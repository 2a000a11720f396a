import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { clientPool, unique } from './support/client';
import { api } from './support/http';
import { shared, token } from './support/stack';

/**
 * One idempotency mechanism for a frame's `id` and an HTTP `Idempotency-Key` (PROTOCOL.md section 5,
 * "Idempotency"): the same key with the same request replays the first answer; with another request it
 * is refused with IDEMPOTENCY_KEY_REUSED (422 over HTTP, an `error` frame over WebSocket).
 */
const { wsUrl, httpUrl } = shared();
const clients = clientPool();
afterEach(() => clients.closeAll());

describe('an idempotency key reused', () => {
  it('over HTTP: the same request replays the first answer, another body answers 422', async () => {
    const room = unique('room:');
    const listener = await clients.connect(wsUrl, { channels: [room] });
    const bearer = await token(httpUrl, { sub: unique('svc-'), scope: 'realtime:publish' });
    const headers = { 'idempotency-key': randomUUID() };
    const send = (data: Record<string, unknown>) =>
      api(httpUrl, 'POST', '/v1/publish', { bearer, headers, body: { channel: room, type: 'order', data } });

    const first = await send({ n: 1 });
    const again = await send({ n: 1 });
    const reused = await send({ n: 2 });

    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(reused.status).toBe(422);
    expect(reused.contentType).toBe('application/problem+json');
    expect(reused.body).toMatchObject({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
    expect((await listener.sync()).filter((f) => f.type === 'order')).toEqual([
      expect.objectContaining({ id: first.body.id, n: 1 }),
    ]);
  });

  it('over WebSocket: the same frame is acked as a duplicate, another one with the id gets an error frame', async () => {
    const room = unique('room:');
    const client = await clients.connect(wsUrl, { channels: [room] });
    const id = randomUUID();

    const first = await client.request({ type: 'publish', channel: room, data: { n: 1 }, id }, 'ack');
    const again = await client.request({ type: 'publish', channel: room, data: { n: 1 }, id }, 'ack');
    const reused = await client.request({ type: 'publish', channel: room, data: { n: 2 }, id }, 'error');

    expect(again).toEqual({ ...first, duplicate: true });
    expect(reused).toMatchObject({ type: 'error', code: 'IDEMPOTENCY_KEY_REUSED', ref: id });
    expect((await client.sync()).filter((f) => f.type === 'publication')).toEqual([
      expect.objectContaining({ id: first.id, data: { n: 1 } }),
    ]);
  });
});
