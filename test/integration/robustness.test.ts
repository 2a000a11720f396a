import { connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/index';
import { TestClient } from './support/client';
import { recorder, startTestStack, wsContext } from './support/stack';

/**
 * Bad input never takes the server down, and failing handlers get API Gateway's answers. A handler
 * "fails" here through the invocation observer, which throws before the handler would run.
 */
class Injected extends Error {}
let stack: LocalStack;
const calls = recorder();

beforeAll(async () => {
  stack = await startTestStack({
    schedules: [], // no minute ticks among the invocations these tests count
    observe: {
      before(lambda, event) {
        calls.observe.before?.(lambda, event);
        const text = JSON.stringify(event);
        if (lambda === 'ws-message' && text.includes('explode')) throw new Injected('frame handler failed');
        if (lambda === 'ws-authorizer' && text.includes('authorizer-explodes'))
          throw new Injected('authorizer failed');
        if (lambda === 'ws-connect' && text.includes('connect-explodes'))
          throw new Injected('$connect failed');
        if (lambda === 'http-health' && text.includes('explode')) throw new Injected('http handler failed');
      },
      after: calls.observe.after,
    },
  });
});
afterAll(() => stack.stop());

const HANDSHAKE =
  'GET /local HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
  'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';

/**
 * Writes raw bytes to the server and resolves with everything it answers until it closes. `afterHeaders`
 * is written once the response headers arrived (the frames of a hand-made WebSocket session).
 */
function raw(bytes: string, afterHeaders?: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = tcpConnect(stack.port, '127.0.0.1', () => socket.write(bytes));
    let answer = '';
    socket.on('data', (d) => {
      const headersDone = answer.includes('\r\n\r\n');
      answer += d.toString('latin1');
      if (afterHeaders && !headersDone && answer.includes('\r\n\r\n')) socket.write(afterHeaders);
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', () => resolve(answer));
    socket.setTimeout(2_000, () => socket.destroy());
  });
}

const healthy = async () => {
  const res = await fetch(`${stack.httpUrl}/v1/health`);
  expect(res.status).toBe(200);
};

describe('bad input', () => {
  it('a request that is not HTTP gets 400, and the server goes on', async () => {
    expect(await raw('GARBAGE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    await healthy();
  });

  it('an upgrade without a key gets 400 and invokes no Lambda', async () => {
    const before = calls.started.length;
    const answer = await raw(
      'GET /local HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(calls.started.length).toBe(before);
    await healthy();
  });

  it('a text frame that is not UTF-8 closes the connection (1007) and $disconnect still runs', async () => {
    // ws would refuse to send such a frame, so the whole exchange is written by hand: a masked text frame
    // carrying the byte 0xff, after a real handshake.
    const answer = await raw(HANDSHAKE, Buffer.from([0x81, 0x81, 0, 0, 0, 0, 0xff]));
    expect(answer).toMatch(/^HTTP\/1\.1 101/);
    const close = Buffer.from(answer.slice(answer.indexOf('\r\n\r\n') + 4), 'latin1');
    expect(close[0]).toBe(0x88);
    expect(close.readUInt16BE(2)).toBe(1007);
    const disconnect = await calls.waitFor((i) => i.lambda === 'ws-disconnect');
    expect(wsContext(disconnect.event)).toMatchObject({ disconnectStatusCode: 1007 });
    await healthy();
  });

  it('malformed escapes in paths and queries are answered, not thrown', async () => {
    const auth = { authorization: 'AWS4-HMAC-SHA256 Credential=local/x' };
    expect(
      (await fetch(`${stack.callbackUrl}/@connections/%E0%A4%A`, { method: 'POST', headers: auth })).status,
    ).toBe(403);
    expect((await fetch(`${stack.httpUrl}/v1/health?x=%zz&y`)).status).toBe(200);
    expect((await fetch(`${stack.httpUrl}/web/%E0%A4%A`)).status).toBe(404);
    expect((await fetch(`${stack.httpUrl}/web/..%2F..%2Fpackage.json`)).status).toBe(404);
    const token = await fetch(`${stack.httpUrl}/.local/token`, { method: 'POST', body: '{not json' });
    expect(token.status).toBe(400);
  });
});

describe('failing handlers', () => {
  it('a frame whose handler fails gets API Gateway\'s "Internal server error" frame, and the socket stays open', async () => {
    const client = await TestClient.connect(stack.wsUrl);
    const id = String((await client.hello()).connection_id);
    client.send({ type: 'ping', timestamp: 'explode' });
    expect(await client.next((f) => f.message === 'Internal server error')).toEqual({
      message: 'Internal server error',
      connectionId: id,
      requestId: expect.stringMatching(/^[A-Za-z0-9+/]{15}=$/),
    });
    expect(await client.request({ type: 'ping' }, 'pong')).toMatchObject({ type: 'pong' });
    await client.close();
  });

  it('a failing authorizer or $connect refuses the handshake with 500, and no connection is left', async () => {
    expect((await TestClient.refused(`${stack.wsUrl}?authorizer-explodes=1`)).status).toBe(500);
    expect((await TestClient.refused(`${stack.wsUrl}?connect-explodes=1`)).status).toBe(500);
    const refused = calls.started
      .filter((i) => JSON.stringify(i.event).includes('explodes'))
      .map((i) => wsContext(i.event).connectionId);
    expect(refused).toHaveLength(3); // the authorizer once, then the authorizer and $connect
    const disconnected = calls.started
      .filter((i) => i.lambda === 'ws-disconnect')
      .map((i) => wsContext(i.event).connectionId);
    expect(disconnected.filter((id) => refused.includes(id))).toEqual([]);
  });

  it('an HTTP route whose handler fails answers 500 Internal Server Error', async () => {
    const res = await fetch(`${stack.httpUrl}/v1/health?explode=1`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ message: 'Internal Server Error' });
  });
});

describe('the console page', () => {
  it('is served at / with its script and styles under /web/, and nothing outside web/', async () => {
    const res = await fetch(`${stack.httpUrl}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await res.text()).toContain('<title>Switchboard console</title>');
    for (const [path, type] of [
      ['/web/console.js', 'text/javascript; charset=utf-8'],
      ['/web/console.css', 'text/css; charset=utf-8'],
    ]) {
      const asset = await fetch(`${stack.httpUrl}${path}`);
      expect(asset.status, path).toBe(200);
      expect(asset.headers.get('content-type'), path).toBe(type);
    }
    const outside = await fetch(`${stack.httpUrl}/web/..%2fpackage.json`);
    expect(outside.status).toBe(404);
  });
});
