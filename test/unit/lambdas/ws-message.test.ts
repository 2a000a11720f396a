import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHandler } from '../../../lambdas/ws-message';
import type { WsEvent } from '../../../shared/app/events';
import { createRuntime, type Runtime } from '../../../shared/app/runtime';
import { connect } from '../../../shared/core/connections';
import { wsEvent } from '../../support/events';
import { fakeParts, rejectingVerifier } from '../../support/fakes';
import { type ManagementApiStub, postedTo, startManagementApiStub } from '../../support/management-api-stub';
import { user } from '../../support/world';

/**
 * The real ws-message module, made from a runtime of fake stores and the real Management API gateway on
 * its default lean post path (SigV4-signed node:http, no SDK client), posting to an in-process stub of the
 * Management API on port 0 that records what it is sent.
 */
interface Post {
  connectionId: string;
  authorization: string | undefined;
  /** Sent by the SDK client on every request; the lean path sends no such header. */
  sdkInvocationId: string | undefined;
  body: string;
}
const goneIds = new Set<string>();
let stub: ManagementApiStub;
let endpoint: string;

beforeAll(async () => {
  stub = await startManagementApiStub();
  endpoint = stub.endpoint;
  stub.answer = (request) =>
    goneIds.has(postedTo(request) ?? '')
      ? { status: 410, headers: { 'x-amzn-errortype': 'GoneException' }, body: '{"message":"gone"}' }
      : { status: postedTo(request) === null ? 404 : 200 };
});
afterAll(() => stub.close());

/** The posts the stub answered 200, oldest first. */
const posts = (): Post[] =>
  stub.requests
    .filter((r) => postedTo(r) !== null && !goneIds.has(postedTo(r) ?? ''))
    .map((r) => ({
      connectionId: postedTo(r) ?? '',
      authorization: r.headers.authorization,
      sdkInvocationId: r.headers['amz-sdk-invocation-id'] as string | undefined,
      body: r.body,
    }));

function runtime() {
  const parts = fakeParts();
  const rt: Runtime = createRuntime(
    { TABLE_NAME: 'unit-lean', WS_CALLBACK_URL: endpoint, PRESENCE_ANNOUNCE_MAX: '0' },
    {
      ...parts,
      verifier: rejectingVerifier,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    },
  );
  return { rt, parts };
}

const event = (connectionId: string, body: unknown): WsEvent =>
  wsEvent('publish', { body: JSON.stringify(body) }, user('alice'), connectionId);

describe('lambdas/ws-message.ts on a runtime of fakes, posting through the lean Management API path', () => {
  it('delivers a publish to every subscriber with signed posts, and answers the ack as the route response', async () => {
    const { rt, parts } = runtime();
    stub.requests.length = 0;
    for (const id of ['c-alice', 'c-bob']) {
      await connect(rt, { connectionId: id, principal: user(id.slice(2)), channels: 'room:lobby' });
    }
    const handler = makeHandler(rt);

    const result = await handler(
      event('c-alice', { type: 'publish', channel: 'room:lobby', data: { text: 'hi' }, id: 'p1' }),
    );

    expect(JSON.parse(result.body ?? '')).toEqual({
      type: 'ack',
      id: 'msg-000001',
      ref: 'p1',
      channel: 'room:lobby',
      seq: 1,
      status: 'delivered',
    });
    expect(
      posts()
        .map((p) => p.connectionId)
        .sort(),
    ).toEqual(['c-alice', 'c-bob']);
    for (const p of posts()) {
      expect(p.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/us-east-1\/execute-api\//,
      );
      expect(p.sdkInvocationId).toBeUndefined(); // the lean path, not the SDK client
      expect(JSON.parse(p.body)).toMatchObject({
        type: 'publication',
        channel: 'room:lobby',
        id: 'msg-000001',
        seq: 1,
        sender: { id: 'alice', username: 'alice' },
        data: { text: 'hi' },
      });
    }
    expect(parts.messages.histories.get('room:lobby')).toHaveLength(1);
    rt.dispose();
  });

  it('posts all replies but the last in order through the stub, and removes a subscriber the stub says is gone', async () => {
    const { rt, parts } = runtime();
    stub.requests.length = 0;
    await connect(rt, { connectionId: 'c-old', principal: user('old'), channels: 'room:r' });
    parts.clock.advance(60_000); // c-old is past the grace a connection still inside $connect gets
    await connect(rt, { connectionId: 'c-alice', principal: user('alice'), channels: 'room:r' });
    goneIds.add('c-old');
    const handler = makeHandler(rt);

    await handler(event('c-alice', { type: 'publish', channel: 'room:r', data: { n: 1 } }));
    expect(parts.connections.records.has('c-old')).toBe(false);

    stub.requests.length = 0;
    const result = await handler(event('c-alice', { type: 'subscribe', channel: 'room:r', since: 0 }));
    expect(posts().map((p) => [p.connectionId, JSON.parse(p.body).type])).toEqual([
      ['c-alice', 'subscribed'],
    ]);
    expect(JSON.parse(result.body ?? '')).toMatchObject({ type: 'publication', seq: 1, data: { n: 1 } });
    goneIds.clear();
    rt.dispose();
  });
});
