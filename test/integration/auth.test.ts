import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JSONWebKeySet } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/index';
import { AUDIENCE, hs256WithPublicKey, ISSUER, nowSec, testIssuer, unsignedToken } from '../support/tokens';
import { clientPool, TestClient, unique } from './support/client';
import { api } from './support/http';
import { recorder, shared, startTestStack, wsContext } from './support/stack';

/**
 * Production-grade auth over the real local stack, configured as a production stack would be: an OIDC
 * issuer of the test's own (not the dev issuer), anonymous access off, an Origin allow-list, no clock
 * tolerance. Every case is its own test and none gets in: the WebSocket handshake answers 401 or 403
 * before `$connect` runs, the HTTP API answers the same status.
 */
type Issuer = Awaited<ReturnType<typeof testIssuer>>;

const APP_ORIGIN = 'https://app.example.com';
const clients = clientPool();
afterEach(() => clients.closeAll());

describe('the security matrix', () => {
  let stack: LocalStack;
  let issuer: Issuer;
  const calls = recorder();
  const org = unique('acme-');
  const claims = (extra: Record<string, unknown> = {}) => ({ sub: unique('alice-'), orgs: [org], ...extra });

  beforeAll(async () => {
    issuer = await testIssuer('prod-key-1');
    stack = await startTestStack({
      env: {
        JWT_ISSUER: ISSUER,
        JWT_AUDIENCE: AUDIENCE,
        JWT_JWKS: JSON.stringify(issuer.jwks),
        ALLOW_ANONYMOUS: 'false',
        ALLOWED_ORIGINS: APP_ORIGIN,
        JWT_CLOCK_TOLERANCE_SECONDS: '0',
      },
      observe: calls.observe,
    });
  });
  afterAll(() => stack.stop());

  /** The token is refused on both APIs: 401, no socket, `$connect` never ran; the HTTP API says 401 too. */
  async function expectRefused(bearer: string | undefined) {
    const connectsBefore = calls.of('ws-connect').length;
    const refusal = await TestClient.refused(stack.wsUrl, {
      ...(bearer === undefined ? {} : { token: bearer }),
      headers: { Origin: APP_ORIGIN },
    });
    expect(refusal).toEqual({ status: 401, body: JSON.stringify({ message: 'Unauthorized' }) });
    expect(calls.of('ws-connect')).toHaveLength(connectsBefore);
    const http = await api(stack.httpUrl, 'POST', `/v1/orgs/${org}/events`, {
      bearer,
      body: { event_type: 'probe', data: {} },
    });
    expect(http.status).toBe(401);
  }

  it('lets a valid token in (the control: the same checks pass a good token)', async () => {
    const client = await clients.connect(stack.wsUrl, {
      token: await issuer.sign(claims()),
      channels: [`org:${org}`],
      headers: { Origin: APP_ORIGIN },
    });
    expect((await client.hello()).channels).toContain(`org:${org}`);
    const http = await api(stack.httpUrl, 'POST', `/v1/orgs/${org}/events`, {
      bearer: await issuer.sign(claims()),
      body: { event_type: 'probe', data: {} },
    });
    expect(http.status).toBe(202);
  });

  it('refuses no token where anonymous access is off (401)', async () => {
    await expectRefused(undefined);
  });

  it('refuses a bad signature (401)', async () => {
    const [head, , signature] = (await issuer.sign(claims())).split('.');
    const forgedBody = Buffer.from(
      JSON.stringify({ ...claims(), iss: ISSUER, aud: AUDIENCE, exp: nowSec() + 600 }),
    );
    await expectRefused(`${head}.${forgedBody.toString('base64url')}.${signature}`);
  });

  it('refuses an expired token (401)', async () => {
    await expectRefused(await issuer.sign(claims(), { expiresIn: nowSec() - 60 }));
  });

  it('refuses a token that is not valid yet: nbf in the future (401)', async () => {
    await expectRefused(await issuer.sign(claims({ nbf: nowSec() + 600 })));
  });

  it('refuses a token of another issuer (401)', async () => {
    await expectRefused(await issuer.sign(claims(), { issuer: 'https://elsewhere.example.com/realms/x' }));
  });

  it('refuses a token for another audience (401)', async () => {
    await expectRefused(await issuer.sign(claims(), { audience: 'another-api' }));
  });

  it('refuses an unsigned token: alg none (401)', async () => {
    await expectRefused(unsignedToken({ ...claims(), iss: ISSUER, aud: AUDIENCE, exp: nowSec() + 600 }));
  });

  it('refuses an HS256 token signed with the RSA public key (401)', async () => {
    const token = hs256WithPublicKey(
      { ...claims(), iss: ISSUER, aud: AUDIENCE, exp: nowSec() + 600 },
      issuer.spki,
      issuer.kid,
    );
    await expectRefused(token);
  });

  it('refuses a token signed by a key from another JWKS, under its own kid or ours (401)', async () => {
    const stranger = await testIssuer('stranger-key');
    await expectRefused(await stranger.sign(claims()));
    const impostor = await testIssuer(issuer.kid);
    await expectRefused(await impostor.sign(claims()));
  });

  it('refuses a token without sub (401)', async () => {
    await expectRefused(await issuer.sign({ orgs: [org] }));
  });

  it("refuses another user's user: channel: 403 at connect, FORBIDDEN at subscribe", async () => {
    const alice = await issuer.sign(claims());
    const headers = { Origin: APP_ORIGIN };
    const refusal = await TestClient.refused(stack.wsUrl, { token: alice, channels: ['user:bob'], headers });
    expect(refusal.status).toBe(403);
    const client = await clients.connect(stack.wsUrl, { token: alice, headers });
    const error = await client.request({ type: 'subscribe', channel: 'user:bob' }, 'error');
    expect(error).toMatchObject({ code: 'FORBIDDEN' });
    const history = await api(stack.httpUrl, 'GET', '/v1/channels/user:bob/history', { bearer: alice });
    expect(history.status).toBe(403);
  });

  it("refuses a non-member's org: channel: 403 at connect, FORBIDDEN at subscribe, 403 to post", async () => {
    const outsider = await issuer.sign(claims({ orgs: ['elsewhere'] }));
    const headers = { Origin: APP_ORIGIN };
    const refusal = await TestClient.refused(stack.wsUrl, {
      token: outsider,
      channels: [`org:${org}`],
      headers,
    });
    expect(refusal.status).toBe(403);
    const client = await clients.connect(stack.wsUrl, { token: outsider, headers });
    expect(await client.request({ type: 'subscribe', channel: `org:${org}` }, 'error')).toMatchObject({
      code: 'FORBIDDEN',
    });
    const post = await api(stack.httpUrl, 'POST', `/v1/orgs/${org}/events`, {
      bearer: outsider,
      body: { event_type: 'probe', data: {} },
    });
    expect(post).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
  });

  it('refuses an Origin that is not on the allow-list (403), a valid token notwithstanding', async () => {
    const connectsBefore = calls.of('ws-connect').length;
    const refusal = await TestClient.refused(stack.wsUrl, {
      token: await issuer.sign(claims()),
      headers: { Origin: 'https://evil.example.com' },
    });
    expect(refusal.status).toBe(403);
    expect(calls.of('ws-connect')).toHaveLength(connectsBefore);
  });

  describe('claims read exactly (issue 14): a space or a comma in a name grants nothing else', () => {
    const headers = { Origin: APP_ORIGIN };
    const orgPost = (bearer: string) =>
      api(stack.httpUrl, 'POST', `/v1/orgs/${org}/events`, {
        bearer,
        body: { event_type: 'probe', data: {} },
      });

    it.each([[`evil ${org}`], [`evil,${org}`], [`${org} evil`], [`[${org}]`]])(
      'an organisation named %j is not the organisation: 403 over HTTP, 403 at connect, FORBIDDEN at subscribe',
      async (name) => {
        const member = await clients.connect(stack.wsUrl, {
          token: await issuer.sign(claims()),
          channels: [`org:${org}`],
          headers,
        });
        const mallory = await issuer.sign(claims({ orgs: [name] }));
        const posted = await orgPost(mallory);
        expect(posted).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
        // What the emulated JWT authorizer handed the Lambda is AWS's flattened form, which is not read.
        const invocation = calls.of('http-orgs').at(-1);
        const event = invocation?.event as {
          requestContext: { authorizer: { jwt: { claims: Record<string, string> } } };
        };
        expect(event.requestContext.authorizer.jwt.claims.orgs).toBe(`[${name}]`);
        expect(
          (await TestClient.refused(stack.wsUrl, { token: mallory, channels: [`org:${org}`], headers }))
            .status,
        ).toBe(403);
        const client = await clients.connect(stack.wsUrl, { token: mallory, headers });
        expect(await client.request({ type: 'subscribe', channel: `org:${org}` }, 'error')).toMatchObject({
          code: 'FORBIDDEN',
        });
        expect((await member.sync()).filter((f) => f.type === 'event')).toEqual([]);
      },
    );

    it.each<[Record<string, unknown>]>([
      [{ scp: ['x realtime:admin'] }],
      [{ scp: ['x realtime:publish'] }],
      [{ scope: 'x,realtime:publish' }],
      [{ scp: 'x,realtime:admin' }],
    ])(
      'scopes %j grant neither realtime:publish nor realtime:admin, over HTTP or WebSocket',
      async (scopes) => {
        const bearer = await issuer.sign(claims({ orgs: [], ...scopes }));
        // A route whose scopes the JWT authorizer checks, and one whose operation does (a user may notify itself).
        const published = await api(stack.httpUrl, 'POST', '/v1/publish', {
          bearer,
          body: { channel: 'room:lobby', type: 'x', data: {} },
        });
        expect(published.status).toBe(403);
        const notified = await api(stack.httpUrl, 'POST', '/v1/notifications', {
          bearer,
          body: { user_id: unique('victim-'), title: 't', message: 'm' },
        });
        expect(notified).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
        expect((await orgPost(bearer)).status).toBe(403);
        // Over WebSocket: the principal every route of the connection gets has none of them either.
        await clients.connect(stack.wsUrl, { token: bearer, headers });
        const connect = calls.of('ws-connect').at(-1)?.event;
        const { authorizer: context } = wsContext(connect) as unknown as { authorizer: { scopes: string } };
        expect(context.scopes.split(' ')).not.toContain('realtime:admin');
        expect(context.scopes.split(' ')).not.toContain('realtime:publish');
      },
    );
  });

  describe('one token rule on every path (issue 14)', () => {
    const historyPath = () => `/v1/channels/${encodeURIComponent(unique('room:'))}/history`;

    it('refuses a token issued an hour in the future: the handshake, a JWT route and a route that also serves anonymous callers', async () => {
      const ahead = await issuer.sign(claims(), { issuedAt: nowSec() + 3600 });
      await expectRefused(ahead);
      expect((await api(stack.httpUrl, 'GET', historyPath(), { bearer: ahead })).status).toBe(401);
      expect(
        (await api(stack.httpUrl, 'GET', `/v1/channels/room:lobby/presence`, { bearer: ahead })).status,
      ).toBe(401);
    });

    it('answers 401 to a presented token that does not verify on a route that also serves anonymous callers', async () => {
      const path = historyPath();
      expect((await api(stack.httpUrl, 'GET', path)).status).toBe(200);
      const expired = await issuer.sign(claims(), { expiresIn: nowSec() - 60 });
      for (const authorization of [
        `Bearer ${expired}`,
        'Bearer not.a.jwt',
        'Basic dXNlcjpwYXNz',
        'garbage',
      ]) {
        const res = await api(stack.httpUrl, 'GET', path, { headers: { authorization } });
        expect({ authorization, status: res.status, code: res.body.code }).toEqual({
          authorization,
          status: 401,
          code: 'UNAUTHORIZED',
        });
      }
    });
  });

  it('closes a connection whose token expired: UNAUTHORIZED on its next frame, then the close', async () => {
    const exp = nowSec() + 5;
    const client = await clients.connect(stack.wsUrl, {
      token: await issuer.sign(claims(), { expiresIn: exp }),
      headers: { Origin: APP_ORIGIN },
    });
    expect((await client.hello()).type).toBe('connection.established');
    // Past exp by a second on the server's own clock (the same clock here), with no tolerance configured.
    while (Date.now() < (exp + 1) * 1000) await new Promise((r) => setTimeout(r, 250));
    client.send({ type: 'ping' });
    expect(await client.nextOfType('error')).toMatchObject({ code: 'UNAUTHORIZED' });
    await client.closed;
    expect(client.frames.filter((f) => f.type === 'pong')).toEqual([]);
  });
});

describe('anonymous connections, where anonymous access is on (the shared stack)', () => {
  const { wsUrl, httpUrl } = shared();

  it.each(['user', 'org'])(
    'cannot reach a %s: channel: 401 at connect, UNAUTHORIZED at subscribe',
    async (ns) => {
      const channel = `${ns}:${unique('x-')}`;
      expect((await TestClient.refused(wsUrl, { channels: [channel] })).status).toBe(401);
      const client = await clients.connect(wsUrl);
      expect(await client.request({ type: 'subscribe', channel }, 'error')).toMatchObject({
        code: 'UNAUTHORIZED',
      });
    },
  );

  it('cannot post organisation events (401)', async () => {
    const res = await api(httpUrl, 'POST', `/v1/orgs/${unique('acme-')}/events`, {
      body: { event_type: 'x', data: {} },
    });
    expect(res.status).toBe(401);
  });
});

/** An issuer's JWKS endpoint whose keys the test changes, counting how often it is fetched. */
async function jwksServer(initial: JSONWebKeySet) {
  let keys = initial;
  let fetches = 0;
  const server: Server = createServer((req, res) => {
    if (req.url !== '/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(keys));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    serve(next: JSONWebKeySet) {
      keys = next;
    },
    get fetches() {
      return fetches;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('key rotation at the issuer (remote JWKS)', () => {
  let stack: LocalStack;
  let keyA: Issuer;
  let keyB: Issuer;
  let jwks: Awaited<ReturnType<typeof jwksServer>>;

  beforeAll(async () => {
    keyA = await testIssuer('key-a');
    keyB = await testIssuer('key-b');
    jwks = await jwksServer(keyA.jwks);
    // JWKS_URL wins over the dev issuer's inline key set; no cooldown, so the test need not wait 30 s for
    // jose to refetch on an unknown kid (production keeps the 30 s default).
    stack = await startTestStack({
      env: { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWKS_URL: jwks.url, JWKS_COOLDOWN_SECONDS: '0' },
    });
  });
  afterAll(async () => {
    await stack.stop();
    await jwks.close();
  });

  it('caches the key set, refetches it for a new kid: old-key tokens fail, new-key tokens pass', async () => {
    const before = await clients.connect(stack.wsUrl, { token: await keyA.sign({ sub: 'device-a' }) });
    expect((await before.hello()).user_id).toBe('device-a');
    const again = await clients.connect(stack.wsUrl, { token: await keyA.sign({ sub: 'device-a2' }) });
    expect((await again.hello()).user_id).toBe('device-a2');
    expect(jwks.fetches).toBe(1); // cached: one fetch for both

    jwks.serve(keyB.jwks); // the issuer rotated: key A is gone
    const after = await clients.connect(stack.wsUrl, { token: await keyB.sign({ sub: 'device-b' }) });
    expect((await after.hello()).user_id).toBe('device-b');
    expect(jwks.fetches).toBe(2); // the unknown kid made it fetch the set again

    const refusal = await TestClient.refused(stack.wsUrl, { token: await keyA.sign({ sub: 'device-a3' }) });
    expect(refusal.status).toBe(401);
    // The HTTP API's JWT authorizer finds keys the same way.
    const http = await api(stack.httpUrl, 'POST', `/v1/orgs/${unique('o-')}/events`, {
      bearer: await keyA.sign({ sub: 'svc', scope: 'realtime:publish' }),
      body: { event_type: 'x', data: {} },
    });
    expect(http.status).toBe(401);
    const httpB = await api(stack.httpUrl, 'POST', `/v1/orgs/${unique('o-')}/events`, {
      bearer: await keyB.sign({ sub: 'svc', scope: 'realtime:publish' }),
      body: { event_type: 'x', data: {} },
    });
    expect(httpB.status).toBe(202);
  });
});
