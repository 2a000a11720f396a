import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/index';
import { TestClient, unique } from './support/client';
import { publish, startTestStack } from './support/stack';

/**
 * The HTTP API's JWT authorizer, emulated with API Gateway's checks, against an issuer of the test's own
 * with two keys: an RSA one and an EC one. The WebSocket authorizer (a Lambda, PROTOCOL.md section 6)
 * accepts both; API Gateway's JWT authorizer only RSA.
 */
const ISSUER = 'https://issuer.example.test';
let stack: LocalStack;
let sign: (claims: JWTPayload, alg?: 'RS256' | 'ES256') => Promise<string>;

beforeAll(async () => {
  const rsa = await generateKeyPair('RS256');
  const ec = await generateKeyPair('ES256');
  const keys = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256' },
  ];
  sign = (claims, alg = 'RS256') => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: ISSUER, aud: 'switchboard', sub: 'svc', iat: now, exp: now + 600, ...claims })
      .setProtectedHeader({ alg, kid: alg === 'RS256' ? 'rsa-1' : 'ec-1' })
      .sign(alg === 'RS256' ? rsa.privateKey : ec.privateKey);
  };
  stack = await startTestStack({ env: { JWT_ISSUER: ISSUER, JWT_JWKS: JSON.stringify({ keys }) } });
});
afterAll(() => stack.stop());

const target = () => ({ channel: unique('room:'), type: 'note', data: {} });
const publishWith = async (authorization: string | undefined) => {
  const res = await fetch(`${stack.httpUrl}/v1/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify(target()),
  });
  return { status: res.status, body: await res.json(), wwwAuthenticate: res.headers.get('www-authenticate') };
};

describe('the JWT authorizer of the HTTP API', () => {
  it('accepts a valid RS256 token with a route scope, from scope or scp, with or without "Bearer "', async () => {
    const byScope = await sign({ scope: 'openid realtime:publish' });
    expect((await publish(stack.httpUrl, byScope, target())).status).toBe(202);
    const byScp = await sign({ scp: ['realtime:admin'] });
    expect((await publish(stack.httpUrl, byScp, target())).status).toBe(202);
    expect((await publishWith(byScope)).status).toBe(202);
  });

  it('accepts client_id in place of aud', async () => {
    const token = await sign({ aud: undefined, client_id: 'switchboard', scope: 'realtime:publish' });
    expect((await publishWith(`Bearer ${token}`)).status).toBe(202);
  });

  it.each([
    ['no token', async () => undefined],
    ['a token that is not a JWT', async () => 'Bearer abc.def'],
    [
      'an expired token',
      async () =>
        `Bearer ${await sign({ scope: 'realtime:publish', exp: Math.floor(Date.now() / 1000) - 60 })}`,
    ],
    [
      'a token not valid yet',
      async () =>
        `Bearer ${await sign({ scope: 'realtime:publish', nbf: Math.floor(Date.now() / 1000) + 600 })}`,
    ],
    [
      'another issuer',
      async () => `Bearer ${await sign({ scope: 'realtime:publish', iss: 'https://elsewhere.test' })}`,
    ],
    [
      'another audience',
      async () => `Bearer ${await sign({ scope: 'realtime:publish', aud: 'someone-else' })}`,
    ],
    [
      'an ES256 token (API Gateway verifies RSA signatures only)',
      async () => `Bearer ${await sign({ scope: 'realtime:publish' }, 'ES256')}`,
    ],
  ])('answers 401 Unauthorized for %s, and the Lambda never runs', async (_case, authorization) => {
    const res = await publishWith(await authorization());
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ message: 'Unauthorized' });
    expect(res.wwwAuthenticate).toMatch(/^Bearer/);
  });

  it('answers 403 Forbidden to a valid token without one of the route scopes', async () => {
    const res = await publishWith(`Bearer ${await sign({ scope: 'openid profile' })}`);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ message: 'Forbidden' });
    expect(res.wwwAuthenticate).toContain('insufficient_scope');
  });

  it('splits scope on spaces only, as API Gateway does: a comma joins nothing', async () => {
    for (const claims of [
      { scope: 'openid,realtime:publish' },
      { scope: 'realtime:publish,openid' },
      { scp: 'x,realtime:admin' },
      { scp: ['x realtime:admin'] },
    ]) {
      const res = await publishWith(`Bearer ${await sign(claims)}`);
      expect({ claims, status: res.status }).toEqual({ claims, status: 403 });
    }
    for (const claims of [{ scope: 'openid  realtime:publish' }, { scp: 'x realtime:admin' }]) {
      expect({ claims, status: (await publishWith(await sign(claims))).status }).toEqual({
        claims,
        status: 202,
      });
    }
  });

  it('while the WebSocket authorizer accepts the same ES256 token', async () => {
    const client = await TestClient.connect(stack.wsUrl, { token: await sign({ sub: 'es-user' }, 'ES256') });
    expect((await client.hello()).user_id).toBe('es-user');
    await client.close();
  });

  it('answers 404 Not Found for a route the table does not have', async () => {
    const res = await fetch(`${stack.httpUrl}/v1/nothing-here`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: 'Not Found' });
  });
});
