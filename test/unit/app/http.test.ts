import { beforeAll, describe, expect, it } from 'vitest';
import { httpHandler } from '../../../shared/app/http';
import type { Operation } from '../../../shared/core/operations';
import { httpEvent } from '../../support/events';
import { fakeWorld } from '../../support/fakes';
import { unitToken } from '../../support/tokens';

let publisher: string;
beforeAll(async () => {
  publisher = await unitToken({ sub: 'svc', scope: 'realtime:publish' });
});

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

describe('the HTTP wrapper reads the caller from the token, by the one rule of every path', () => {
  /** An HTTP module whose operation answers with the principal it was handed. */
  function echoing(lambda: 'http-orgs' | 'http-channels') {
    const world = fakeWorld();
    const echo = async ({ principal }: { principal: unknown }) => ({ status: 200, body: principal });
    return lambda === 'http-orgs'
      ? httpHandler(world, 'http-orgs', { orgEvent: echo })
      : httpHandler(world, 'http-channels', { history: echo, presence: echo });
  }
  const orgEvent = (token: string, claims?: Record<string, string>) => {
    const event = httpEvent('POST /v1/orgs/{org}/events', { body: '{}' }, token);
    // What API Gateway's JWT authorizer hands on is ignored: here even a forged version of it.
    if (claims) event.requestContext.authorizer = { jwt: { claims, scopes: null } };
    return event;
  };
  const history = (authorization?: string) =>
    httpEvent('GET /v1/channels/{channel}/history', {
      pathParameters: { channel: 'room:a' },
      ...(authorization === undefined ? {} : { headers: { authorization } }),
    });
  const bodyOf = (r: { body?: string }) => JSON.parse(r.body ?? 'null');

  it('on a jwt route: organisations and scopes exactly as the token has them, not the flattened claims', async () => {
    const handler = echoing('http-orgs');
    const token = await unitToken({
      sub: 'mallory',
      orgs: ['evil acme', 'evil,beta'],
      scp: ['x realtime:admin'],
    });
    const result = await handler(
      orgEvent(token, { sub: 'mallory', orgs: '[evil acme]', scp: '[x realtime:admin]' }),
    );
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toMatchObject({ sub: 'mallory', orgs: ['evil acme', 'evil,beta'], scopes: [] });
  });

  it('on a jwt route: a token issued in the future, or none at all, is 401', async () => {
    const handler = echoing('http-orgs');
    const ahead = await unitToken({ sub: 'a' }, { issuedAt: Math.floor(Date.now() / 1000) + 3600 });
    expect((await handler(orgEvent(ahead))).statusCode).toBe(401);
    const none = httpEvent('POST /v1/orgs/{org}/events', { body: '{}' });
    expect((await handler(none)).statusCode).toBe(401);
  });

  it('on an optional route: no token is anonymous, a presented one that does not verify is 401', async () => {
    const handler = echoing('http-channels');
    expect(bodyOf(await handler(history()))).toMatchObject({ sub: null });
    expect(bodyOf(await handler(history(`Bearer ${await unitToken({ sub: 'alice' })}`)))).toMatchObject({
      sub: 'alice',
    });
    const ahead = await unitToken({ sub: 'a' }, { issuedAt: Math.floor(Date.now() / 1000) + 3600 });
    for (const authorization of [`Bearer ${ahead}`, 'Bearer not.a.jwt', 'Basic dXNlcjpwYXNz', 'Bearer']) {
      const result = await handler(history(authorization));
      expect({ authorization, status: result.statusCode }).toEqual({ authorization, status: 401 });
      expect(bodyOf(result)).toMatchObject({ code: 'UNAUTHORIZED' });
    }
  });
});
