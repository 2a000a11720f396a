import { describe, expect, it } from 'vitest';
import { httpHandler } from '../../../shared/app/http';
import type { Operation } from '../../../shared/core/operations';
import { httpEvent } from '../../support/events';
import { fakeWorld } from '../../support/fakes';

const publisher = { sub: 'svc', scope: 'realtime:publish' };

/** An HTTP module of a fake world whose operation counts its runs and echoes what it was asked. */
function counting() {
  const world = fakeWorld();
  let runs = 0;
  const op: Operation = async ({ body }) => ({ status: 202, body: { run: ++runs, asked: body } });
  return { world, runs: () => runs, handler: httpHandler(world, 'http-publish', { publish: op }) };
}

const post = (body: unknown, headers: Record<string, string> = {}, path = '/v1/publish') =>
  httpEvent(
    'POST /v1/publish',
    {
      rawPath: path,
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    },
    publisher,
  );

describe('the HTTP wrapper makes POSTs idempotent', () => {
  it('answers a repeat of the same request with the first answer, marked replayed, running nothing', async () => {
    const { handler, runs } = counting();
    const key = { 'idempotency-key': 'order-42' };
    const first = await handler(post({ channel: 'room:a', type: 'x' }, key));
    const again = await handler(post({ type: 'x', channel: 'room:a' }, key)); // same request, other key order
    expect(first.statusCode).toBe(202);
    expect(again.body).toBe(first.body);
    expect(again.headers?.['idempotent-replayed']).toBe('true');
    expect(runs()).toBe(1);
  });

  it('answers the same key with another body 422 IDEMPOTENCY_KEY_REUSED, running nothing', async () => {
    const { handler, runs } = counting();
    const key = { 'idempotency-key': 'order-42' };
    await handler(post({ channel: 'room:a', type: 'x' }, key));
    const reused = await handler(post({ channel: 'room:b', type: 'x' }, key));
    expect(reused.statusCode).toBe(422);
    expect(reused.headers?.['content-type']).toBe('application/problem+json');
    expect(JSON.parse(reused.body ?? '')).toMatchObject({
      status: 422,
      code: 'IDEMPOTENCY_KEY_REUSED',
      type: 'urn:switchboard:problem:idempotency-key-reused',
    });
    expect(runs()).toBe(1);
  });

  it('takes the body field the route table names (POST /v1/publish: `id`) as the key when no header is sent', async () => {
    const { handler, runs } = counting();
    await handler(post({ channel: 'room:a', type: 'x', id: 'job-1' }));
    const again = await handler(post({ channel: 'room:a', type: 'x', id: 'job-1' }));
    expect(again.headers?.['idempotent-replayed']).toBe('true');
    const reused = await handler(post({ channel: 'room:a', type: 'y', id: 'job-1' }));
    expect(reused.statusCode).toBe(422);
    expect(runs()).toBe(1);
  });

  it('does not take a body `id` as a key on a route whose table entry names none', async () => {
    const world = fakeWorld();
    let runs = 0;
    const handler = httpHandler(world, 'http-notifications', {
      notify: async () => ({ status: 202, body: { run: ++runs } }),
    });
    const event = () =>
      httpEvent('POST /v1/notifications', { body: JSON.stringify({ id: 'same', title: 't' }) }, publisher);
    await handler(event());
    await handler(event());
    expect(runs).toBe(2);
  });

  it('keeps only successes: a failed request may be sent again with its key', async () => {
    const world = fakeWorld();
    let runs = 0;
    const handler = httpHandler(world, 'http-publish', {
      publish: async () => ({ status: runs++ === 0 ? 503 : 202, body: { runs } }),
    });
    const key = { 'idempotency-key': 'k' };
    expect((await handler(post({ a: 1 }, key))).statusCode).toBe(503);
    expect((await handler(post({ a: 1 }, key))).statusCode).toBe(202);
  });
});
