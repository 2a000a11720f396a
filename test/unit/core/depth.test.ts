import { beforeAll, describe, expect, it } from 'vitest';
import * as httpNotifications from '../../../lambdas/http-notifications';
import * as httpOrgs from '../../../lambdas/http-orgs';
import * as httpPublish from '../../../lambdas/http-publish';
import * as httpRooms from '../../../lambdas/http-rooms';
import { ProtocolError } from '../../../shared/core/errors';
import { checkDataSize, checkDepth, MAX_JSON_DEPTH } from '../../../shared/core/protocol';
import { httpEvent } from '../../support/events';
import { fakeWorld } from '../../support/fakes';
import { unitToken } from '../../support/tokens';
import { TestClient } from '../../support/world';

/**
 * Nesting is bounded (PROTOCOL.md section 7): objects and arrays at most 32 deep in a frame or an HTTP body,
 * found without recursion, so any depth gets INVALID_MESSAGE and none reaches what recurses (zod, the
 * idempotency fingerprint, JSON.stringify), where ~4,000 levels used to overflow the stack.
 */
const arrays = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const objects = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
/** `data` whose own depth is `levels`: in a frame or body it sits one level deeper. */
const nested = (levels: number, make = arrays) =>
  JSON.parse(`{"x":${make(levels - 1)}}`) as Record<string, unknown>;

const codeOf = (f: () => void): string | undefined => {
  try {
    f();
  } catch (error) {
    return error instanceof ProtocolError ? error.code : String(error);
  }
  return undefined;
};

describe('checkDepth', () => {
  it.each([
    ['arrays', arrays],
    ['objects', objects],
  ])('allows %s 32 levels deep, refuses 33 and 10,000 and 1,000,000, without a stack overflow', (_, make) => {
    expect(codeOf(() => checkDepth(JSON.parse(make(MAX_JSON_DEPTH))))).toBeUndefined();
    expect(codeOf(() => checkDepth(JSON.parse(make(MAX_JSON_DEPTH + 1))))).toBe('INVALID_MESSAGE');
    expect(codeOf(() => checkDepth(JSON.parse(make(10_000))))).toBe('INVALID_MESSAGE');
    expect(codeOf(() => checkDepth(JSON.parse(make(1_000_000))))).toBe('INVALID_MESSAGE');
  });

  it('counts depth, not size: wide and shallow passes', () => {
    const wide = Array.from({ length: 10_000 }, (_, i) => ({ i, tags: [i, [i]] }));
    expect(codeOf(() => checkDepth({ wide }))).toBeUndefined();
  });

  it("refuses a cycle and a graph of shared parts in the server library's data, rather than walk them forever", () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(codeOf(() => checkDataSize(cycle, 16 * 1024))).toBe('INVALID_MESSAGE');
    let shared: unknown[] = [1];
    for (let i = 0; i < 25; i++) shared = [shared, shared]; // 2^25 paths through 26 arrays
    const started = Date.now();
    expect(codeOf(() => checkDataSize({ shared }, 16 * 1024))).toBe('PAYLOAD_TOO_LARGE');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('bounds data in checkDataSize one level less than a frame: data sits inside one', () => {
    expect(codeOf(() => checkDataSize(nested(31), 16 * 1024))).toBeUndefined();
    expect(codeOf(() => checkDataSize(nested(32), 16 * 1024))).toBe('INVALID_MESSAGE');
  });
});

describe('over WebSocket', () => {
  it.each([4_100, 10_000, 100_000])(
    'answers publish with data %i arrays deep INVALID_MESSAGE with its ref, storing nothing',
    async (levels) => {
      const world = fakeWorld();
      const client = await TestClient.connect(world, 'c1', undefined, 'room:a');
      const frame = `{"type":"publish","channel":"room:a","id":"deep-1","data":{"x":${arrays(levels)}}}`;
      expect(await client.request(frame)).toMatchObject({
        type: 'error',
        code: 'INVALID_MESSAGE',
        ref: 'deep-1',
      });
      expect(world.messages.histories.get('room:a')).toBeUndefined();
      expect(world.log.lines.filter((l) => l.level === 'error')).toEqual([]);
    },
  );

  it('publishes data 31 levels deep (the frame is the 32nd)', async () => {
    const world = fakeWorld();
    const client = await TestClient.connect(world, 'c1', undefined, 'room:a');
    const ack = await client.request({ type: 'publish', channel: 'room:a', id: 'ok-1', data: nested(31) });
    expect(ack).toMatchObject({ type: 'ack', seq: 1 });
  });

  it('answers any other frame nested too deep INVALID_MESSAGE too', async () => {
    const client = await TestClient.connect(fakeWorld(), 'c1');
    expect(await client.request(`{"type":"ping","timestamp":${objects(10_000)}}`)).toMatchObject({
      code: 'INVALID_MESSAGE',
    });
  });
});

describe('over HTTP', () => {
  let bearer: string;
  beforeAll(async () => {
    bearer = await unitToken({ sub: 'svc', scope: 'realtime:publish', orgs: ['acme'] });
  });

  const routes = [
    ['POST /v1/publish', {}, (data: string) => `{"channel":"room:a","type":"x","id":"k","data":${data}}`],
    ['POST /v1/rooms/{room}/messages', { room: 'a' }, (data: string) => `{"message":"hi","data":${data}}`],
    ['POST /v1/notifications', {}, (data: string) => `{"title":"t","message":"m","data":${data}}`],
    ['POST /v1/orgs/{org}/events', { org: 'acme' }, (data: string) => `{"event_type":"e","data":${data}}`],
  ] as const;
  const handlerOf = (routeKey: string) => {
    const world = fakeWorld();
    const make = {
      'POST /v1/publish': httpPublish.makeHandler,
      'POST /v1/rooms/{room}/messages': httpRooms.makeHandler,
      'POST /v1/notifications': httpNotifications.makeHandler,
      'POST /v1/orgs/{org}/events': httpOrgs.makeHandler,
    }[routeKey];
    if (!make) throw new Error(routeKey);
    return { world, handler: make(world) };
  };

  it.each(routes)(
    '%s with data 10,000 levels deep answers 400 INVALID_MESSAGE',
    async (routeKey, params, body) => {
      const { world, handler } = handlerOf(routeKey);
      for (const data of [`{"x":${arrays(9_999)}}`, objects(10_000)]) {
        const event = httpEvent(routeKey, { pathParameters: params, body: body(data) }, bearer);
        const result = await handler(event);
        expect(result.statusCode).toBe(400);
        expect(JSON.parse(result.body ?? '')).toMatchObject({ code: 'INVALID_MESSAGE', status: 400 });
      }
      expect(world.log.lines.filter((l) => l.level === 'error')).toEqual([]);
      expect(world.gateway.posts).toEqual([]);
    },
  );

  it.each(routes)('%s takes data 31 levels deep', async (routeKey, params, body) => {
    const { handler } = handlerOf(routeKey);
    const event = httpEvent(
      routeKey,
      { pathParameters: params, body: body(JSON.stringify(nested(31))) },
      bearer,
    );
    expect((await handler(event)).statusCode).toBe(202);
  });
});
