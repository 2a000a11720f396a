import { beforeAll, describe, expect, it } from 'vitest';
import { makeHandler } from '../../../lambdas/ws-authorizer';
import { createAuthorizerRuntime } from '../../../shared/app/authorizer';
import type { Env } from '../../../shared/app/config';
import type { WsAuthorizerEvent } from '../../../shared/app/events';
import { principalFromContext } from '../../../shared/core/auth/principal';
import {
  AUDIENCE,
  hs256WithPublicKey,
  ISSUER,
  nowSec,
  testIssuer,
  unsignedToken,
} from '../../support/tokens';

const METHOD_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/$connect';

function authorizerEvent(
  query: Record<string, string> = {},
  headers: Record<string, string> = {},
): WsAuthorizerEvent {
  return {
    type: 'REQUEST',
    methodArn: METHOD_ARN,
    headers: { Host: 'abcdef123.execute-api.us-east-1.amazonaws.com', ...headers },
    queryStringParameters: query,
    requestContext: {
      routeKey: '$connect',
      eventType: 'CONNECT',
      connectionId: 'L0SM9cOFvHcCIhw=',
      domainName: 'abcdef123.execute-api.us-east-1.amazonaws.com',
      stage: 'prod',
      apiId: 'abcdef123',
      requestId: 'req-1',
      requestTimeEpoch: Date.now(),
      connectedAt: Date.now(),
      messageDirection: 'IN',
      identity: { sourceIp: '203.0.113.7' },
    },
  };
}

type Issuer = Awaited<ReturnType<typeof testIssuer>>;
let issuer: Issuer;
let other: Issuer; // a key the stack does not trust, with the same kid
let env: Env;

beforeAll(async () => {
  issuer = await testIssuer('k1');
  other = await testIssuer('k1');
  env = {
    TABLE_NAME: 'unit-test',
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    JWT_JWKS: JSON.stringify(issuer.jwks),
  };
});

const authorize = (event: WsAuthorizerEvent, e: Env = env) => makeHandler(createAuthorizerRuntime(e))(event);

const claims = (extra: Record<string, unknown> = {}) => ({
  sub: 'alice',
  preferred_username: 'Alice',
  orgs: ['acme'],
  scope: 'realtime:publish',
  ...extra,
});

describe('the $connect authorizer', () => {
  it('allows a valid token from ?token= and hands the principal on as context', async () => {
    const token = await issuer.sign(claims());
    const result = await authorize(authorizerEvent({ token }));
    expect(result.principalId).toBe('alice');
    expect(result.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: METHOD_ARN },
    ]);
    // API Gateway passes only flat strings, numbers and booleans in context.
    for (const v of Object.values(result.context ?? {})) expect(typeof v).toBe('string');
    expect(principalFromContext(result.context)).toMatchObject({
      sub: 'alice',
      username: 'Alice',
      orgs: ['acme'],
      scopes: ['realtime:publish'],
    });
  });

  it('reads the token from an Authorization: Bearer header too', async () => {
    const token = await issuer.sign(claims());
    const result = await authorize(authorizerEvent({}, { Authorization: `Bearer ${token}` }));
    expect(result.principalId).toBe('alice');
  });

  it('allows a connection without a token as anonymous where anonymous access is on', async () => {
    const result = await authorize(authorizerEvent());
    expect(result.principalId).toBe('anonymous');
    expect(result.policyDocument.Statement[0]?.Effect).toBe('Allow');
    expect(principalFromContext(result.context)).toMatchObject({ sub: null, username: 'Anonymous' });
  });

  it('answers 401 to a connection without a token where anonymous access is off', async () => {
    await expect(authorize(authorizerEvent(), { ...env, ALLOW_ANONYMOUS: 'false' })).rejects.toThrow(
      /^Unauthorized$/,
    );
  });

  it.each<[string, () => Promise<string>]>([
    ['a bad signature (same kid, another key)', () => other.sign(claims())],
    ['an expired token', () => issuer.sign(claims(), { expiresIn: nowSec() - 120 })],
    ['a token from another issuer', () => issuer.sign(claims(), { issuer: 'https://evil.test/' })],
    ['a token for another audience', () => issuer.sign(claims(), { audience: 'some-other-api' })],
    [
      'alg: none',
      async () => unsignedToken({ ...claims(), iss: ISSUER, aud: AUDIENCE, exp: nowSec() + 600 }),
    ],
    [
      'an HS256 token signed with the public key',
      async () =>
        hs256WithPublicKey(
          { ...claims(), iss: ISSUER, aud: AUDIENCE, exp: nowSec() + 600 },
          issuer.spki,
          'k1',
        ),
    ],
    ['a token without sub', () => issuer.sign({ preferred_username: 'nobody' })],
    ['a token issued an hour in the future', () => issuer.sign(claims(), { issuedAt: nowSec() + 3600 })],
    ['garbage', async () => 'not.a.jwt'],
  ])(
    'answers 401 (throws "Unauthorized") to %s — never downgrading it to anonymous',
    async (_, makeToken) => {
      const token = await makeToken();
      await expect(authorize(authorizerEvent({ token }))).rejects.toThrow(/^Unauthorized$/);
    },
  );

  it.each(['Basic dXNlcjpwYXNz', 'Bearer not.a.jwt', 'Bearer'])(
    'answers 401 to an Authorization header %j that holds no valid token, where anonymous access is on',
    async (authorization) => {
      await expect(authorize(authorizerEvent({}, { Authorization: authorization }))).rejects.toThrow(
        /^Unauthorized$/,
      );
    },
  );

  it('hands organisations and scopes on exactly: spaces and commas in them grant nothing else', async () => {
    const token = await issuer.sign(
      claims({ orgs: ['evil acme', 'evil,globex'], scope: undefined, scp: ['x realtime:admin', 'a,b'] }),
    );
    const principal = principalFromContext((await authorize(authorizerEvent({ token }))).context);
    expect(principal.orgs).toEqual(['evil acme', 'evil,globex']);
    expect(principal.scopes).toEqual(['a,b']);
  });

  it('accepts a token expired by less than the clock tolerance', async () => {
    const token = await issuer.sign(claims(), { expiresIn: nowSec() - 5 });
    expect((await authorize(authorizerEvent({ token }))).principalId).toBe('alice');
  });

  it('answers 403 (Deny) to an Origin outside the allow-list, and allows one inside it', async () => {
    const strict = { ...env, ALLOWED_ORIGINS: 'https://app.example.com, https://admin.example.com' };
    const denied = await authorize(authorizerEvent({}, { Origin: 'https://evil.example.net' }), strict);
    expect(denied.policyDocument.Statement[0]?.Effect).toBe('Deny');
    expect(denied.context).toBeUndefined();
    const allowed = await authorize(authorizerEvent({}, { origin: 'https://app.example.com' }), strict);
    expect(allowed.policyDocument.Statement[0]?.Effect).toBe('Allow');
  });

  it('lets a client without an Origin (not a browser) through the allow-list', async () => {
    const strict = { ...env, ALLOWED_ORIGINS: 'https://app.example.com' };
    const result = await authorize(authorizerEvent(), strict);
    expect(result.policyDocument.Statement[0]?.Effect).toBe('Allow');
  });

  it('maps Keycloak groups with a prefix to organisations', async () => {
    const keycloak = { ...env, ORGS_CLAIM: 'groups', ORGS_PREFIX: '/orgs/' };
    const token = await issuer.sign({ sub: 'kc-user', groups: ['/orgs/acme', '/staff', '/orgs/globex'] });
    const result = await authorize(authorizerEvent({ token }), keycloak);
    expect(principalFromContext(result.context).orgs).toEqual(['acme', 'globex']);
  });
});
