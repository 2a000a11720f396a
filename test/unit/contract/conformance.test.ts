import { describe, expect, it } from 'vitest';
import { type $ZodType, safeParse } from 'zod/v4/core';
import { type ClientFrameDoc, clientFrames, typelessFrames } from '../../../contract/client-frames';
import { WEBSOCKET_CODES } from '../../../contract/errors';
import { httpRouteDocs, type RouteKey } from '../../../contract/http';
import { errorFrame, eventFrames, replyFrames, serviceEventFrame } from '../../../contract/server-frames';
import { type HttpRoute, httpRoutes, type LambdaName, lambdas } from '../../../shared/app/routes';
import type { Runtime } from '../../../shared/app/runtime';
import { runLiveStats } from '../../../shared/features/live-stats/run';
import { httpEvent } from '../../support/events';
import { FakeLiveStatsTrigger, type FakeWorld, fakeWorld } from '../../support/fakes';
import { unitToken } from '../../support/tokens';
import { anonymous, TestClient, user } from '../../support/world';

/**
 * The documents' own schemas (what the server answers and sends, contract/http.ts and
 * contract/server-frames.ts) held against what the real handlers produce, on a runtime of fakes: every
 * HTTP route is called through its Lambda module, and every server frame type the AsyncAPI document
 * names is produced and checked.
 */

const problemsOf = (schema: $ZodType, value: unknown): string => {
  const result = safeParse(schema, value);
  return result.success
    ? ''
    : `${JSON.stringify(value)}: ${result.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`;
};

type Handler = (event: ReturnType<typeof httpEvent>) => Promise<{ statusCode: number; body?: string }>;

/** Each HTTP Lambda of the route table, made from the world as the local stack makes it. */
async function httpHandlers(world: FakeWorld): Promise<Map<LambdaName, Handler>> {
  const handlers = new Map<LambdaName, Handler>();
  const trigger = new FakeLiveStatsTrigger();
  for (const name of new Set((httpRoutes as readonly HttpRoute[]).map((r) => r.lambda))) {
    const module = (await import(/* @vite-ignore */ `../../../${lambdas[name].entry}`)) as {
      makeHandler: (rt: Runtime, trigger?: FakeLiveStatsTrigger) => Handler;
    };
    handlers.set(name, module.makeHandler(world, trigger));
  }
  return handlers;
}

interface Example {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  /** The caller's token; none: anonymous. */
  token?: string;
}

/** One valid request per route, in an order that makes each meaningful (a chat before its messages). */
const examples = (chatId: () => string, ADMIN: string, ALICE: string): Record<RouteKey, () => Example> => ({
  'POST /v1/publish': () => ({
    token: ADMIN,
    body: { channel: 'room:lobby', type: 'order.created', data: { order: 7 } },
  }),
  'GET /v1/channels/{channel}/history': () => ({ params: { channel: 'room:lobby' }, query: { since: '0' } }),
  'GET /v1/channels/{channel}/presence': () => ({ params: { channel: 'room:lobby' } }),
  'POST /v1/chats': () => ({ token: ALICE, body: { participants: ['bob'] } }),
  'GET /v1/chats/{id}': () => ({ token: ALICE, params: { id: chatId() } }),
  'POST /v1/chats/{id}/participants': () => ({
    token: ALICE,
    params: { id: chatId() },
    body: { user_id: 'carol' },
  }),
  'POST /v1/chats/{id}/messages': () => ({
    token: ALICE,
    params: { id: chatId() },
    body: { content: 'hi' },
  }),
  'GET /v1/chats/{id}/messages': () => ({ token: ALICE, params: { id: chatId() }, query: { limit: '10' } }),
  'PUT /v1/devices/{id}': () => ({ token: ADMIN, params: { id: 'd1' }, body: { name: 'Boiler' } }),
  'GET /v1/devices/{id}': () => ({ params: { id: 'd1' } }),
  'PUT /v1/devices/{id}/status': () => ({ token: ADMIN, params: { id: 'd1' }, body: { status: 'online' } }),
  'PUT /v1/sensors/{id}': () => ({
    token: ADMIN,
    params: { id: 's1' },
    body: { device_id: 'd1', sensor_type: 'temperature', unit: 'C' },
  }),
  'GET /v1/sensors/{id}': () => ({ params: { id: 's1' } }),
  'POST /v1/sensor-data': () => ({
    token: ADMIN,
    body: {
      readings: [
        { sensor_id: 's1', value: 21.5 },
        { sensor_id: 'nope', value: 1 },
      ],
    },
  }),
  'GET /v1/sensors/{id}/readings': () => ({ params: { id: 's1' } }),
  'POST /v1/orgs/{org}/events': () => ({
    token: ALICE,
    params: { org: 'acme' },
    body: { event_type: 'invoice.paid', data: { amount: 3 } },
  }),
  'GET /v1/health': () => ({}),
  'POST /v1/rooms/{room}/messages': () => ({
    token: ADMIN,
    params: { room: 'lobby' },
    body: { message: 'hello' },
  }),
  'POST /v1/locations': () => ({
    token: ADMIN,
    body: { latitude: 52.5, longitude: 13.4, device_id: 'd1', room: 'lobby' },
  }),
  'POST /v1/notifications': () => ({
    token: ADMIN,
    body: { user_id: 'alice', title: 'Order', message: 'shipped' },
  }),
  'GET /v1/counters/{name}': () => ({ params: { name: 'c1' } }),
  'POST /v1/counters/{name}': () => ({
    token: ADMIN,
    params: { name: 'c1' },
    body: { action: 'increment', value: 2 },
  }),
  'GET /v1/live-push': () => ({ token: ADMIN }),
  'POST /v1/live-push': () => ({ token: ADMIN, body: { interval_seconds: 5 } }),
  'DELETE /v1/live-push': () => ({ token: ADMIN }),
  'GET /v1/stats': () => ({}),
  'DELETE /v1/connections/{id}': () => ({ token: ADMIN, params: { id: 'victim' } }),
});

function eventOf(route: HttpRoute, example: Example) {
  const path = route.path.replace(/\{([^}]+)\}/g, (_, name: string) =>
    encodeURIComponent(example.params?.[name] ?? ''),
  );
  const event = httpEvent(
    `${route.method} ${route.path}`,
    {
      rawPath: path,
      ...(example.params ? { pathParameters: example.params } : {}),
      ...(example.query ? { queryStringParameters: example.query } : {}),
      ...(example.body === undefined ? {} : { body: JSON.stringify(example.body) }),
    },
    example.token,
  );
  return {
    ...event,
    requestContext: { ...event.requestContext, http: { ...event.requestContext.http, path } },
  };
}

const schemaOfFrame = (frame: Record<string, unknown>): $ZodType => {
  const type = String(frame.type);
  if (type === 'error') return errorFrame;
  return (
    (replyFrames as Record<string, $ZodType>)[type] ??
    (eventFrames as Record<string, $ZodType>)[type] ??
    serviceEventFrame
  );
};

/** The documentation of a client frame: by its type, or by the field of a frame without one. */
function documentedFrame(frame: unknown): ClientFrameDoc | undefined {
  if (typeof frame !== 'object' || frame === null) return undefined;
  const type = (frame as { type?: unknown }).type;
  if (typeof type === 'string') return (clientFrames as Record<string, ClientFrameDoc>)[type];
  return Object.entries(typelessFrames).find(([field]) => field in frame)?.[1];
}

describe('the documents against the real handlers', () => {
  it('every HTTP route answers its documented status and body; every server frame type is sent as documented', async () => {
    const world = fakeWorld();
    // Listeners first, so that the HTTP calls below produce every event frame.
    const alice = await TestClient.connect(world, 'alice', user('alice', { orgs: ['acme'] }));
    const bob = await TestClient.connect(world, 'bob', anonymous);
    await TestClient.connect(world, 'victim', anonymous);
    const replies: Record<string, unknown>[] = [];
    /** A frame's first answer that its documentation does not name (besides `error`). */
    const unexpectedAnswers: string[] = [];
    const send = async (client: TestClient, frame: unknown) => {
      const answers = await client.send(frame);
      replies.push(...answers);
      const doc = documentedFrame(frame);
      const first = answers[0]?.type;
      if (doc && first !== undefined && first !== 'error' && !doc.replies.includes(String(first))) {
        unexpectedAnswers.push(`${JSON.stringify(frame)} → ${first}`);
      }
    };
    await send(alice, { type: 'hello' });
    await send(alice, { type: 'ping' });
    for (const channel of ['room:lobby', 'sensors', 'device:d1', 'org:acme', 'live']) {
      await send(alice, { type: 'subscribe', channel });
    }
    await send(bob, { type: 'subscribe', channel: 'counter:c1' });
    await send(bob, { type: 'subscribe', channel: 'room:lobby' }); // alice hears it: notification user_joined

    const handlers = await httpHandlers(world);
    let chatId = '';
    const all = examples(
      () => chatId,
      await unitToken({ sub: 'ops', scope: 'realtime:admin' }),
      await unitToken({ sub: 'alice', orgs: ['acme'] }),
    );
    const failures: string[] = [];
    for (const route of httpRoutes as readonly HttpRoute[]) {
      const key = `${route.method} ${route.path}` as RouteKey;
      const doc = httpRouteDocs[key];
      const result = await handlers.get(route.lambda)!(eventOf(route, all[key]()));
      const body = result.body ? (JSON.parse(result.body) as Record<string, unknown>) : undefined;
      if (key === 'POST /v1/chats') chatId = String(body?.id);
      const also = doc.also?.[result.statusCode];
      if (result.statusCode !== doc.status && !also) {
        failures.push(`${key}: ${result.statusCode} ${result.body}`);
        continue;
      }
      const schema = also?.response ?? doc.response;
      if (schema) {
        const problem = problemsOf(schema, body);
        if (problem) failures.push(`${key}: ${problem}`);
      } else if (body !== undefined) failures.push(`${key}: a body where none is documented`);
    }
    expect(failures).toEqual([]);

    // The live push on again (the table stops it after starting it), and one run of its Lambda.
    const start = httpRoutes.find((r) => r.method === 'POST' && r.path === '/v1/live-push')!;
    await handlers.get(start.lambda)!(eventOf(start, all['POST /v1/live-push']()));
    await runLiveStats(world, { windowMs: 1 });
    // The client frames the HTTP calls made possible: a chat, a counter, a sensor.
    await send(alice, { type: 'subscribe', channel: `chat:${chatId}` });
    await send(alice, { content: 'typeless', id: 'm1' });
    await send(alice, { type: 'publish', channel: 'room:lobby', data: { n: 1 }, id: 'p1' });
    await send(alice, { type: 'publish', channel: 'room:lobby', data: { n: 1 }, id: 'p1' }); // duplicate
    await send(alice, { type: 'chat_message', message: 'hi all' });
    await send(bob, { action: 'increment', value: 1 });
    await send(alice, { type: 'sensor_data', sensor_id: 's1', value: 20, id: 'r1' });
    // A seq taken by a publish that died: once it is old, recovery returns a void marker in its place.
    await world.messages.nextSeq('room:lobby');
    world.clock.advance(world.config.publish.staleAfterMs + 1);
    await send(alice, { type: 'subscribe', channel: 'room:lobby', since: 0 });
    await send(alice, { type: 'unsubscribe', channel: 'sensors' });
    await send(alice, { type: 'nope' });
    await send(alice, '{');

    const delivered = world.gateway.posts.map(
      (p) => JSON.parse(new TextDecoder().decode(p.data)) as Record<string, unknown>,
    );
    const frames = [...replies, ...delivered];
    const wrong = frames.map((f) => problemsOf(schemaOfFrame(f), f)).filter(Boolean);
    expect(wrong).toEqual([]);
    expect(unexpectedAnswers).toEqual([]);
    const errors = frames.filter((f) => f.type === 'error').map((f) => f.code);
    expect(errors.every((c) => WEBSOCKET_CODES.includes(c as never))).toBe(true);

    const documented = [...Object.keys(replyFrames), ...Object.keys(eventFrames), 'error'];
    const seen = new Set(frames.map((f) => String(f.type)));
    expect(documented.filter((t) => !seen.has(t))).toEqual([]);
    expect([...seen].filter((t) => !documented.includes(t))).toEqual(['order.created']);
  });
});
