import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/index';
import { clientPool, TestClient, unique } from './support/client';
import { api } from './support/http';
import { publish, recorder, startTestStack, token, wsContext } from './support/stack';

/**
 * The seed documents' own URLs on the local stack's seed port: through edge/seed-paths.js (the code the
 * CloudFront distribution runs), then the emulator's ordinary handshake. What is checked here is where each
 * URL lands; the frames of each seed's dialect are test/e2e/seed-clients.test.ts's and
 * test/unit/app/dialects.test.ts's.
 */
let stack: LocalStack;
let seedUrl: string;
let service: string;
const rec = recorder();
const clients = clientPool();
afterEach(() => clients.closeAll());

beforeAll(async () => {
  stack = await startTestStack({ seedPort: 0, observe: rec.observe });
  seedUrl = stack.seedUrl!;
  service = await token(stack.httpUrl, { sub: unique('svc-'), scope: 'realtime:publish' });
});
afterAll(() => stack?.stop());

/** The $connect event of the connection that said hello with this connection id. */
async function connectEventOf(connectionId: string) {
  const invocation = await rec.waitFor(
    (i) => i.lambda === 'ws-connect' && wsContext(i.event).connectionId === connectionId,
  );
  return invocation.event as {
    headers: Record<string, string>;
    queryStringParameters?: Record<string, string>;
  };
}

/**
 * The native `hello` still works on a seed connection; its answer is the `connection.established` with a
 * connection id (seed 004's own greeting, also `connection.established`, has none).
 */
async function hello(client: TestClient) {
  client.send({ type: 'hello' });
  return client.nextOfType('connection.established', (f) => 'connection_id' in f);
}

describe('the seed port', () => {
  it('serves ws://…/ws/ as the banner says', () => {
    expect(seedUrl).toMatch(/^ws:\/\/localhost:\d+\/ws\/$/);
    expect(new URL(seedUrl).port).not.toBe(String(stack.port));
  });

  it('/ws/chat/{room}/ is room:{room}: a publication over POST /v1/publish reaches it', async () => {
    const room = unique('');
    const client = await clients.connect(`${seedUrl}chat/${room}/`);
    const sent = await publish(stack.httpUrl, service, {
      channel: `room:${room}`,
      type: 'api_message',
      data: { message: 'Hello from REST' },
    });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ recipients: 1, delivered: 1 });
    expect(await client.nextOfType('api_message')).toMatchObject({
      type: 'api_message',
      channel: `room:${room}`,
      id: sent.body.id,
      message: 'Hello from REST',
    });
  });

  it('/ws/events/{org}/?token=… is org:{org} for a member, who gets the events a service posts', async () => {
    const org = unique('acme-');
    const sub = unique('alice-');
    const member = await token(stack.httpUrl, { sub, orgs: [org] });
    const client = await clients.connect(`${seedUrl}events/${org}/?token=${member}`);
    expect(await client.nextOfType('connection.established')).toEqual({
      type: 'connection.established',
      message: `Connected to organization ${org}`,
      user_id: sub,
      org_id: org,
    });
    const answer = await hello(client);
    expect(answer.user_id).toBe(sub);
    expect(answer.channels).toEqual(expect.arrayContaining([`org:${org}`, `user:${sub}`]));

    const posted = await api(stack.httpUrl, 'POST', `/v1/orgs/${org}/events`, {
      bearer: service,
      body: { event_type: 'document.processed', data: { document_id: 'doc-1' } },
    });
    expect(posted.status).toBe(202);
    // In seed 004's shape: {type, event_type, data}.
    expect(await client.nextOfType('event')).toEqual({
      type: 'event',
      event_type: 'document.processed',
      data: { document_id: 'doc-1' },
    });
  });

  it('$connect sees the stage URL with channels and dialect, API Gateway’s own Host, and only forwarded headers', async () => {
    const org = unique('acme-');
    const member = await token(stack.httpUrl, { sub: unique('bob-'), orgs: [org] });
    const client = await clients.connect(`${seedUrl}events/${org}/?token=${member}&lang=en`, {
      headers: { Origin: 'https://app.example.com', Cookie: 'sessionid=abc', 'X-Custom': 'dropped' },
    });
    const event = await connectEventOf(String((await hello(client)).connection_id));
    expect(event.queryStringParameters).toEqual({
      token: member,
      lang: 'en',
      channels: `org:${org}`,
      dialect: 'seed004.events',
    });
    const names = Object.keys(event.headers).map((h) => h.toLowerCase());
    expect(event.headers.Host).toBe(`127.0.0.1:${stack.port}`);
    expect(event.headers.Origin).toBe('https://app.example.com');
    expect(event.headers['User-Agent']).toBe('Amazon CloudFront');
    expect(names).toEqual(expect.arrayContaining(['sec-websocket-key', 'sec-websocket-version']));
    expect(names).not.toContain('cookie');
    expect(names).not.toContain('x-custom');
  });

  it('/ws/notifications/ with an Authorization header: the bearer token still authenticates it', async () => {
    const sub = unique('carol-');
    const carol = await token(stack.httpUrl, { sub });
    const client = await clients.connect(`${seedUrl}notifications/`, {
      headers: { Authorization: `Bearer ${carol}` },
    });
    const answer = await hello(client);
    expect(answer.user_id).toBe(sub);
    expect(answer.channels).toEqual([`user:${sub}`]);
    const event = await connectEventOf(String(answer.connection_id));
    expect(event.queryStringParameters).toEqual({ token: carol, dialect: 'seed001.notifications' });
    expect(Object.keys(event.headers).map((h) => h.toLowerCase())).not.toContain('authorization');
  });

  it('the ordinary handshake still decides: a non-member of the organisation gets 403', async () => {
    const outsider = await token(stack.httpUrl, { sub: unique('mallory-'), orgs: ['elsewhere'] });
    const refusal = await TestClient.refused(`${seedUrl}events/${unique('acme-')}/?token=${outsider}`);
    expect(refusal.status).toBe(403);
  });

  it('an unknown path gets 404 at the handshake, a name that cannot be a channel 400; no $connect runs', async () => {
    const before = rec.started.filter(
      (i) => i.lambda === 'ws-connect' || i.lambda === 'ws-authorizer',
    ).length;
    const unknown = await TestClient.refused(`${seedUrl}nope/`);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toEqual({ message: 'No seed path /ws/nope/' });
    const noSlash = await TestClient.refused(`${seedUrl}chat/general`);
    expect(noSlash.status).toBe(404);
    const bad = await TestClient.refused(`${seedUrl}chat/my%20room/`);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).message).toMatch(/cannot name a channel/);
    const after = rec.started.filter((i) => i.lambda === 'ws-connect' || i.lambda === 'ws-authorizer').length;
    expect(after).toBe(before);
  });

  it('answers a plain HTTP request on a seed path 426, and on an unknown path 404', async () => {
    const http = seedUrl.replace(/^ws/, 'http');
    const seed = await fetch(`${http}chat/general/`);
    expect(seed.status).toBe(426);
    await seed.body?.cancel();
    const unknown = await fetch(`${http}nope/`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ message: 'No seed path /ws/nope/' });
  });
});
