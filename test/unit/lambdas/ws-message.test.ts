import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHandler } from '../../../lambdas/ws-message';
import type { WsEvent } from '../../../shared/app/events';
import { createRuntime, type Runtime } from '../../../shared/app/runtime';
import { principalToContext } from '../../../shared/core/auth/principal';
import { connect } from '../../../shared/core/connections';
import { fakeParts, rejectingVerifier } from '../../support/fakes';
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
const posts: Post[] = [];
const goneIds = new Set<string>();
let server: http.Server;
let endpoint: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const match = /^\/prod\/@connections\/([^/]+)$/.exec(req.url ?? '');
      const connectionId = decodeURIComponent(match?.[1] ?? '');
      if (req.method !== 'POST' || !match) {
        res.writeHead(404).end();
        return;
      }
      if (goneIds.has(connectionId)) {
        res.writeHead(410, { 'x-amzn-errortype': 'GoneException' }).end('{"message":"gone"}');
        return;
      }
      posts.push({
        connectionId,
        authorization: req.headers.authorization,
        sdkInvocationId: req.headers['amz-sdk-invocation-id'] as string | undefined,
        body: Buffer.concat(chunks).toString(),
      });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

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

const event = (connectionId: string, body: unknown): WsEvent => ({
  requestContext: {
    routeKey: 'publish',
    eventType: 'MESSAGE',
    connectionId,
    domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
    stage: 'prod',
    apiId: 'abc123',
    requestId: 'r1',
    requestTimeEpoch: Date.now(),
    connectedAt: Date.now(),
    messageDirection: 'IN',
    identity: { sourceIp: '203.0.113.1' },
    authorizer: { principalId: 'alice', ...principalToContext(user('alice')) },
  },
  body: JSON.stringify(body),
  isBase64Encoded: false,
});

describe('lambdas/ws-message.ts on a runtime of fakes, posting through the lean Management API path', () => {
  it('delivers a publish to every subscriber with signed posts, and answers the ack as the route response', async () => {
    const { rt, parts } = runtime();
    posts.length = 0;
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
    });
    expect(posts.map((p) => p.connectionId).sort()).toEqual(['c-alice', 'c-bob']);
    for (const p of posts) {
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
    posts.length = 0;
    await connect(rt, { connectionId: 'c-old', principal: user('old'), channels: 'room:r' });
    parts.clock.advance(60_000); // c-old is past the grace a connection still inside $connect gets
    await connect(rt, { connectionId: 'c-alice', principal: user('alice'), channels: 'room:r' });
    goneIds.add('c-old');
    const handler = makeHandler(rt);

    await handler(event('c-alice', { type: 'publish', channel: 'room:r', data: { n: 1 } }));
    expect(parts.connections.records.has('c-old')).toBe(false);

    posts.length = 0;
    const result = await handler(event('c-alice', { type: 'subscribe', channel: 'room:r', since: 0 }));
    expect(posts.map((p) => [p.connectionId, JSON.parse(p.body).type])).toEqual([['c-alice', 'subscribed']]);
    expect(JSON.parse(result.body ?? '')).toMatchObject({ type: 'publication', seq: 1, data: { n: 1 } });
    goneIds.clear();
    rt.dispose();
  });
});
