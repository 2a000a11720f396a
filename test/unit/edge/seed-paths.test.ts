import { describe, expect, it } from 'vitest';
import {
  isGeneratedResponse,
  loadSeedPaths,
  MAX_FUNCTION_BYTES,
  type SeedPathSettings,
  type SeedPathsFunction,
  seedPathsCode,
  seedPathsConfig,
} from '../../../edge/index';
import { parseQuery } from '../../../local/request-parts';
import { originUrl, viewerRequestEvent } from '../../../local/seed-paths';

/**
 * edge/seed-paths.js, loaded as the local stack loads it (node:vm, configuration in front) and fed the
 * viewer-request events the local stack builds: what each seed URL becomes at the WebSocket stage.
 */
const load = (settings: SeedPathSettings = {}, stage = 'prod') =>
  loadSeedPaths(seedPathsConfig(stage, settings));

type Outcome =
  | { forwarded: true; uri: string; url: string; query: Record<string, string[]> }
  | { forwarded: false; status: number; contentType: string | undefined; message: string };

function call(fn: SeedPathsFunction, url: string, headers: string[] = []): Outcome {
  const event = viewerRequestEvent('GET', url, ['Host', 'd111111abcdef8.cloudfront.net', ...headers], {
    ip: '198.51.100.7',
    domain: 'd111111abcdef8.cloudfront.net',
  });
  const result = fn(event);
  if (isGeneratedResponse(result)) {
    const body = result.body;
    const text = typeof body === 'string' ? body : (body?.data ?? '');
    return {
      forwarded: false,
      status: result.statusCode,
      contentType: result.headers?.['content-type']?.value,
      message: (JSON.parse(text) as { message: string }).message,
    };
  }
  const out = originUrl(result);
  const q = out.indexOf('?');
  // What API Gateway hands $connect as queryStringParameters (the emulator decodes as it does).
  return { forwarded: true, uri: result.uri, url: out, query: parseQuery(q === -1 ? '' : out.slice(q + 1)) };
}

const rooms = load();

describe('every seed path lands on the stage with its channel and dialect', () => {
  it.each([
    ['/ws/chat/general/', 'room:general', 'seed001.chat'],
    ['/ws/test/general/', 'room:general', 'seed000.test'],
    ['/ws/counter/', 'counter:global', 'seed001.counter'],
    [
      '/ws/events/123e4567-e89b-12d3-a456-426614174000/',
      'org:123e4567-e89b-12d3-a456-426614174000',
      'seed004.events',
    ],
    ['/ws/sensor-data/', 'sensors', 'seed002.sensor-data'],
    ['/ws/device/device_001/', 'device:device_001', 'seed002.device'],
    ['/ws/sensor/1/', 'sensor:1', 'seed002.sensor'],
  ])('%s → channels=%s, dialect=%s', (path, channel, dialect) => {
    const outcome = call(rooms, path);
    expect(outcome).toMatchObject({ forwarded: true, uri: '/prod' });
    if (!outcome.forwarded) return;
    expect(outcome.query).toEqual({ channels: [channel], dialect: [dialect] });
  });

  it('/ws/notifications/ names no channel: the server subscribes an authenticated connection to its user:{sub}', () => {
    const outcome = call(rooms, '/ws/notifications/?token=eyJ.a.b');
    expect(outcome).toMatchObject({ forwarded: true, uri: '/prod' });
    if (outcome.forwarded) {
      expect(outcome.query).toEqual({ token: ['eyJ.a.b'], dialect: ['seed001.notifications'] });
    }
  });

  it('writes the channel percent-encoded, as a browser would', () => {
    expect(call(rooms, '/ws/chat/general/')).toMatchObject({
      url: '/prod?channels=room%3Ageneral&dialect=seed001.chat',
    });
  });

  it('leads to the stage it is configured with', () => {
    expect(call(load({}, 'dev'), '/ws/sensor-data/')).toMatchObject({ forwarded: true, uri: '/dev' });
  });
});

describe('the per-deployment choices', () => {
  it('/ws/chat/{id}/ is a room by default (seed 001) and a chat with seedChat=chats (seed 003)', () => {
    expect(call(rooms, '/ws/chat/1/')).toMatchObject({
      query: { channels: ['room:1'], dialect: ['seed001.chat'] },
    });
    expect(call(load({ seedChat: 'chats' }), '/ws/chat/1/')).toMatchObject({
      query: { channels: ['chat:1'], dialect: ['seed003.chat'] },
    });
  });

  it("/ws/notifications/ speaks seed 004's frames with seedNotifications=004", () => {
    expect(call(load({ seedNotifications: '004' }), '/ws/notifications/')).toMatchObject({
      query: { dialect: ['seed004.notifications'] },
    });
  });

  it('/ws/counter/ is the counter seedCounter names', () => {
    expect(call(load({ seedCounter: 'visits' }), '/ws/counter/')).toMatchObject({
      query: { channels: ['counter:visits'] },
    });
  });

  it('refuses settings that cannot work, naming each', () => {
    expect(() =>
      seedPathsConfig('prod', {
        seedChat: 'threads' as never,
        seedNotifications: '002' as never,
        seedCounter: 'a b',
      }),
    ).toThrow(/seedChat must be "rooms".*seedNotifications must be "001" or "004".*seedCounter "a b"/);
    expect(() => seedPathsConfig('prod/x')).toThrow(/stage "prod\/x"/);
  });
});

describe('paths that are not seed paths answer 404', () => {
  it.each([
    '/',
    '/ws/',
    '/ws/chat/',
    '/ws/chat/general',
    '/ws/chat//',
    '/ws/chat/a/b/',
    '/ws/notifications',
    '/ws/notifications/extra/',
    '/ws/counter/mine/',
    '/ws/sensor-data/x/',
    '/ws/unknown/',
    '/ws/constructor/',
    '/ws/__proto__/x/',
    '/ws//chat/general/',
    '/api/ws/chat/general/',
    '/WS/chat/general/',
    '/prod/extra',
  ])('%s', (path) => {
    expect(call(rooms, path)).toEqual({
      forwarded: false,
      status: 404,
      contentType: 'application/json',
      message: `No seed path ${path}`,
    });
  });
});

describe('a path segment that cannot be a channel name answers 400', () => {
  it.each([
    '/ws/chat/my%20room/',
    '/ws/chat/caf%C3%A9/',
    '/ws/events/org%2Facme/',
    '/ws/device/a:b/',
    '/ws/sensor/1+2/',
    `/ws/test/${'r'.repeat(129)}/`,
  ])('%s', (path) => {
    const outcome = call(rooms, path);
    expect(outcome).toMatchObject({ forwarded: false, status: 400, contentType: 'application/json' });
    if (!outcome.forwarded) expect(outcome.message).toMatch(/cannot name a channel: 1-128 of A-Z a-z 0-9/);
  });

  it('takes every character a channel name may have, and 128 of them', () => {
    expect(call(rooms, '/ws/chat/A-z_0.9@x=/')).toMatchObject({ query: { channels: ['room:A-z_0.9@x='] } });
    const long = 'r'.repeat(128);
    expect(call(rooms, `/ws/test/${long}/`)).toMatchObject({ query: { channels: [`room:${long}`] } });
  });
});

describe('the query string', () => {
  it('passes ?token= through exactly as sent, encoding included', () => {
    const outcome = call(rooms, '/ws/chat/general/?token=abc.DEF-ghi_%2B%2F');
    expect(outcome).toMatchObject({ forwarded: true });
    if (!outcome.forwarded) return;
    expect(outcome.url).toBe('/prod?token=abc.DEF-ghi_%2B%2F&channels=room%3Ageneral&dialect=seed001.chat');
    expect(outcome.query.token).toEqual(['abc.DEF-ghi_+/']);
  });

  it("replaces the viewer's own channels and dialect, however spelt: the path decides both", () => {
    const outcome = call(
      rooms,
      '/ws/events/acme/?channels=org%3Aother,user:bob&dialect=seed003.chat&chann%65ls=org:evil&token=t',
    );
    expect(outcome).toMatchObject({
      forwarded: true,
      query: { token: ['t'], channels: ['org:acme'], dialect: ['seed004.events'] },
    });
  });

  it('keeps every other parameter, repeated ones and empty ones as they came', () => {
    const outcome = call(rooms, '/ws/sensor-data/?v=2&tag=a&tag=b%20c&flag');
    expect(outcome).toMatchObject({ forwarded: true });
    if (outcome.forwarded) {
      expect(outcome.url).toBe(
        '/prod?v=2&tag=a&tag=b%20c&flag=&channels=sensors&dialect=seed002.sensor-data',
      );
    }
  });

  it('moves a bearer token from an Authorization header into ?token= (CloudFront does not forward the header)', () => {
    expect(call(rooms, '/ws/notifications/', ['Authorization', 'Bearer eyJ.x.y'])).toMatchObject({
      query: { token: ['eyJ.x.y'], dialect: ['seed001.notifications'] },
    });
    // A ?token= of its own wins, as it does at the authorizer; other schemes are not tokens.
    expect(call(rooms, '/ws/notifications/?token=q', ['Authorization', 'Bearer h'])).toMatchObject({
      query: { token: ['q'] },
    });
    expect(call(rooms, '/ws/notifications/', ['Authorization', 'Basic dTpw'])).toMatchObject({
      query: { dialect: ['seed001.notifications'] },
    });
    expect(call(rooms, '/ws/notifications/', ['Authorization', 'Basic dTpw'])).not.toMatchObject({
      query: { token: expect.anything() },
    });
  });
});

describe('the stage path itself', () => {
  it('passes through untouched (no dialect: the native protocol), for clients already on it', () => {
    for (const path of ['/prod', '/prod/']) {
      const outcome = call(rooms, `${path}?channels=room%3Ax&dialect=mine&token=t`);
      expect(outcome).toMatchObject({ forwarded: true, uri: path });
      if (outcome.forwarded) expect(outcome.url).toBe(`${path}?channels=room%3Ax&dialect=mine&token=t`);
    }
  });
});

describe('as CloudFront runs it', () => {
  it('fits CloudFront’s 10 KB with room to spare, configuration included', () => {
    const code = seedPathsCode(seedPathsConfig('a'.repeat(128), { seedCounter: 'c'.repeat(128) }));
    expect(Buffer.byteLength(code)).toBeLessThan(MAX_FUNCTION_BYTES / 2);
    expect(code.startsWith("'use strict';\nconst config = {")).toBe(true);
  });

  it('takes microseconds per request, far inside the runtime’s compute budget', () => {
    const event = () =>
      viewerRequestEvent('GET', '/ws/events/acme/?token=abc&x=1', ['Authorization', 'Bearer t'], {
        ip: '198.51.100.7',
        domain: 'd',
      });
    const events = Array.from({ length: 2_000 }, event);
    const started = process.hrtime.bigint();
    for (const e of events) rooms(e);
    const perCallMs = Number(process.hrtime.bigint() - started) / 1e6 / events.length;
    expect(perCallMs).toBeLessThan(0.2);
  });
});
