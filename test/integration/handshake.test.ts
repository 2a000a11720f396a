import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { LocalStack } from '../../local/index';
import { TestClient, unique } from './support/client';
import { recorder, shared, startTestStack, token } from './support/stack';

const { wsUrl, httpUrl } = shared();

/** The status (and body) of a plain HTTP upgrade request, for paths the ws client cannot express. */
function upgradeStatus(url: string): Promise<{ status: number; body: string }> {
  return TestClient.refused(url.replace(/^http/, 'ws'));
}

describe('the handshake', () => {
  it('is refused with 401 for a bad token, and no socket opens', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ sub: 'mallory' })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(httpUrl)
      .setAudience('switchboard')
      .setExpirationTime('1h')
      .sign(privateKey);
    for (const bad of [forged, 'not-a-jwt']) {
      const refusal = await TestClient.refused(wsUrl, { token: bad });
      expect(refusal.status).toBe(401);
      expect(JSON.parse(refusal.body)).toEqual({ message: 'Unauthorized' });
    }
  });

  it('is refused with 403 for a channel the token may not have, and no socket opens', async () => {
    const alice = await token(httpUrl, { sub: unique('alice-') });
    const refusal = await TestClient.refused(wsUrl, { token: alice, channels: ['user:bob'] });
    expect(refusal.status).toBe(403);
  });

  it('accepts /local/ and a query string, and refuses any other path with 403 Forbidden', async () => {
    const base = new URL(wsUrl);
    const ok = await TestClient.connect(`ws://${base.host}/local/`);
    await ok.close();
    const withQuery = await TestClient.connect(`ws://${base.host}/local?x=1`);
    await withQuery.close();
    for (const path of ['/', '/prod', '/local/extra', '/locals', '/v1/health']) {
      const refusal = await upgradeStatus(`http://${base.host}${path}`);
      expect({ path, ...refusal }).toEqual({ path, status: 403, body: '{"message":"Forbidden"}' });
    }
  });

  it('echoes a sub-protocol only as $connect returns it (the first one offered), and none when none is offered', async () => {
    const chat = await TestClient.connect(wsUrl, { protocols: ['chat', 'v2.switchboard'] });
    expect(chat.ws.protocol).toBe('chat');
    await chat.close();
    const plain = await TestClient.connect(wsUrl);
    expect(plain.ws.protocol).toBe('');
    await plain.close();
  });

  it('refuses an upgrade that is not a valid WebSocket request without invoking any Lambda', async () => {
    const base = new URL(wsUrl);
    const res = await fetch(`http://${base.host}/local`, {
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13' },
    }).catch((e: unknown) => e);
    // fetch cannot complete an upgrade; what matters is that the server is still there afterwards.
    expect(res).toBeDefined();
    const after = await TestClient.connect(wsUrl);
    await after.close();
  });
});

describe('with an allow-list of origins', () => {
  let stack: LocalStack;
  const calls = recorder();

  beforeAll(async () => {
    stack = await startTestStack({
      env: { ALLOWED_ORIGINS: 'https://app.example.com' },
      observe: calls.observe,
    });
  });
  afterAll(() => stack.stop());

  it('refuses another Origin with 403 before $connect runs, and accepts the listed one', async () => {
    const refusal = await TestClient.refused(stack.wsUrl, {
      headers: { Origin: 'https://evil.example.com' },
    });
    expect(refusal.status).toBe(403);
    expect(calls.of('ws-connect')).toHaveLength(0);

    const ok = await TestClient.connect(stack.wsUrl, { headers: { Origin: 'https://app.example.com' } });
    expect(calls.of('ws-connect')).toHaveLength(1);
    await ok.close();
  });

  it('answers CORS preflights of the HTTP API for the listed origin only', async () => {
    const preflight = (origin: string) =>
      fetch(`${stack.httpUrl}/v1/publish`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
    const allowed = await preflight('https://app.example.com');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
    const other = await preflight('https://evil.example.com');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('without an allow-list', () => {
  it('allows any origin on the HTTP API with *', async () => {
    const res = await fetch(`${httpUrl}/v1/health`, { headers: { origin: 'https://anywhere.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('a browser-style client with any Origin connects', async () => {
    const ws = new WebSocket(wsUrl, { origin: 'https://anywhere.example' });
    await new Promise((ok, fail) => {
      ws.once('open', ok);
      ws.once('error', fail);
    });
    ws.close();
  });
});
