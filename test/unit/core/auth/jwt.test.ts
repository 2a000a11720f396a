import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../../shared/app/config';
import {
  createTokenVerifier,
  presentedToken,
  principalFromClaims,
  TokenError,
} from '../../../../shared/core/auth/jwt';
import { principalFromContext, principalToContext } from '../../../../shared/core/auth/principal';
import {
  AUDIENCE,
  hs256WithPublicKey,
  ISSUER,
  nowSec,
  testIssuer,
  unsignedToken,
} from '../../../support/tokens';

type Issuer = Awaited<ReturnType<typeof testIssuer>>;
let rsa: Issuer;
let ec: Issuer;
let stranger: Issuer;

beforeAll(async () => {
  rsa = await testIssuer('rsa-1', 'RS256');
  ec = await testIssuer('ec-1', 'ES256');
  stranger = await testIssuer('rsa-1', 'RS256');
});

const verifier = (env: Record<string, string> = {}) =>
  createTokenVerifier(
    loadConfig({
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      JWT_JWKS: JSON.stringify({ keys: [rsa.jwk, ec.jwk] }),
      ...env,
    }).auth,
  );

async function reasonFor(token: string, env?: Record<string, string>): Promise<string> {
  try {
    await verifier(env).verify(token);
  } catch (error) {
    if (error instanceof TokenError) return error.reason;
    throw error;
  }
  return 'accepted';
}

describe('token verification refuses each bad token for its own reason', () => {
  it('accepts RS256 and ES256 tokens of the configured issuer', async () => {
    expect(await reasonFor(await rsa.sign({ sub: 'a' }))).toBe('accepted');
    expect(await reasonFor(await ec.sign({ sub: 'a' }))).toBe('accepted');
  });

  it.each<[string, () => Promise<string>, RegExp]>([
    ['bad signature', () => stranger.sign({ sub: 'a' }), /bad signature/],
    ['expired', () => rsa.sign({ sub: 'a' }, { expiresIn: nowSec() - 3600 }), /expired/],
    ['wrong issuer', () => rsa.sign({ sub: 'a' }, { issuer: 'https://other/' }), /"iss"/],
    ['wrong audience', () => rsa.sign({ sub: 'a' }, { audience: 'other' }), /"aud"/],
    [
      'alg none',
      async () => unsignedToken({ sub: 'a', iss: ISSUER, aud: AUDIENCE, exp: nowSec() + 60 }),
      /alg|Unsecured|JOSE/i,
    ],
    [
      'HS256 signed with the public key',
      async () =>
        hs256WithPublicKey({ sub: 'a', iss: ISSUER, aud: AUDIENCE, exp: nowSec() + 60 }, rsa.spki, 'rsa-1'),
      /algorithm not allowed/,
    ],
    ['no sub', () => rsa.sign({ name: 'x' }), /"sub"/],
  ])('%s', async (_, make, reason) => {
    expect(await reasonFor(await make())).toMatch(reason);
  });

  it('refuses a token issued in the future beyond the clock skew, and accepts one within it', async () => {
    expect(await reasonFor(await rsa.sign({ sub: 'a' }, { issuedAt: nowSec() + 3600 }))).toMatch(/"iat"/);
    expect(await reasonFor(await rsa.sign({ sub: 'a' }, { issuedAt: nowSec() + 40 }))).toMatch(
      /issued in the future/,
    );
    expect(await reasonFor(await rsa.sign({ sub: 'a' }, { issuedAt: nowSec() + 20 }))).toBe('accepted');
    expect(
      await reasonFor(await rsa.sign({ sub: 'a' }, { issuedAt: nowSec() + 5 }), {
        JWT_CLOCK_TOLERANCE_SECONDS: '0',
      }),
    ).toMatch(/issued in the future/);
  });

  it('checks the audience as API Gateway does: aud, or client_id when the token has no aud', async () => {
    const withClientId = (clientId: string, aud?: string) =>
      new SignJWT({ sub: 'a', client_id: clientId, ...(aud ? { aud } : {}) })
        .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
        .setIssuer(ISSUER)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(rsa.privateKey);
    expect(await reasonFor(await withClientId(AUDIENCE))).toBe('accepted');
    expect(await reasonFor(await withClientId('another-client'))).toMatch(/"aud"/);
    // With an aud, aud decides (as API Gateway's): a matching client_id does not make up for it.
    expect(await reasonFor(await withClientId(AUDIENCE, 'another-api'))).toMatch(/"aud"/);
  });

  it('refuses an ES256 token when only RS256 is allowed', async () => {
    expect(await reasonFor(await ec.sign({ sub: 'a' }), { JWT_ALGORITHMS: 'RS256' })).toMatch(
      /algorithm not allowed/,
    );
  });

  it('refuses every token when no key set is configured', async () => {
    const v = createTokenVerifier(loadConfig({ JWT_ISSUER: ISSUER }).auth);
    await expect(v.verify(await rsa.sign({ sub: 'a' }))).rejects.toMatchObject({ reason: /no token issuer/ });
  });

  it('refuses to start with a symmetric algorithm in the allow-list', () => {
    expect(() => loadConfig({ JWT_ALGORITHMS: 'RS256,HS256' })).toThrow(ConfigError);
  });
});

describe('claims to a principal', () => {
  const cfg = { orgsClaim: 'orgs', orgsPrefix: '', usernameClaims: ['preferred_username', 'name', 'sub'] };

  it('takes organisations exactly as the token lists them: spaces and commas are part of a name', () => {
    const orgsOf = (orgs: unknown) => principalFromClaims({ sub: 's', orgs }, cfg).orgs;
    expect(orgsOf(['evil acme'])).toEqual(['evil acme']);
    expect(orgsOf(['evil,acme'])).toEqual(['evil,acme']);
    expect(orgsOf(['acme', 'globex'])).toEqual(['acme', 'globex']);
    // A string is one organisation: API Gateway's flattened "[a b]" grants neither a nor b.
    expect(orgsOf('acme')).toEqual(['acme']);
    expect(orgsOf('[acme globex]')).toEqual(['[acme globex]']);
    expect(orgsOf('acme,globex')).toEqual(['acme,globex']);
    expect(orgsOf(42)).toEqual([]);
    expect(
      principalFromClaims(
        { sub: 's', groups: ['/orgs/acme', 'staff'] },
        {
          ...cfg,
          orgsClaim: 'groups',
          orgsPrefix: '/orgs/',
        },
      ).orgs,
    ).toEqual(['acme']);
  });

  it.each<[Record<string, unknown>, string[]]>([
    [{ scope: 'realtime:publish other' }, ['realtime:publish', 'other']],
    [{ scope: 'openid  realtime:publish' }, ['openid', 'realtime:publish']],
    [{ scope: 'openid,realtime:publish' }, ['openid,realtime:publish']],
    [{ scp: ['realtime:admin'] }, ['realtime:admin']],
    [{ scp: 'x realtime:admin' }, ['x', 'realtime:admin']],
    [{ scp: ['x realtime:admin'] }, []],
    [{ scp: ['x,realtime:admin', ''] }, ['x,realtime:admin']],
    [{ scope: '[realtime:admin]' }, ['[realtime:admin]']],
    [{ scope: 'a', scp: ['a', 'b'] }, ['a', 'b']],
    [{ scope: 42 }, []],
  ])('reads the scopes of %j as %j (spaces separate, nothing else does)', (claims, scopes) => {
    expect(principalFromClaims({ sub: 's', ...claims }, cfg).scopes).toEqual(scopes);
  });

  it('reads exp as a number', () => {
    expect(principalFromClaims({ sub: 's', exp: 1790000000 }, cfg).exp).toBe(1790000000);
    expect(principalFromClaims({ sub: 's' }, cfg).exp).toBeNull();
  });

  it.each<[string | undefined, string | undefined]>([
    [undefined, undefined],
    ['', undefined],
    ['  ', undefined],
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer   abc.def.ghi ', 'abc.def.ghi'],
    ['abc.def.ghi', 'abc.def.ghi'],
    ['Basic dXNlcjpwYXNz', 'Basic dXNlcjpwYXNz'],
    ['Bearer', 'Bearer'],
  ])('the Authorization header %j presents the token %j', (header, token) => {
    expect(presentedToken(header)).toBe(token);
  });

  it('survives the round trip through an authorizer context unchanged', () => {
    const p = {
      sub: 'alice',
      username: 'Alice B',
      orgs: ['acme', 'a b', 'c,d', '[e]'],
      scopes: ['x', 'y', 'realtime:publish'],
      exp: 1790000000,
    };
    expect(principalFromContext(principalToContext(p))).toEqual(p);
  });

  it('reads a context with no sub as anonymous', () => {
    expect(principalFromContext({ principalId: 'anonymous', sub: '' })).toMatchObject({ sub: null });
    expect(principalFromContext(undefined)).toMatchObject({ sub: null, username: 'Anonymous' });
  });
});

describe('keys found by OIDC discovery when no JWKS_URL is set', () => {
  it('fetches the discovery document once, then the jwks_uri it names, and verifies', async () => {
    const http = await import('node:http');
    const hits: string[] = [];
    let base = '';
    const server = http.createServer((req, res) => {
      hits.push(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      if (req.url === '/realms/acme/.well-known/openid-configuration') {
        // Keycloak's keys are not at {issuer}/.well-known/jwks.json: only discovery finds them.
        res.end(
          JSON.stringify({
            issuer: `${base}/realms/acme`,
            jwks_uri: `${base}/realms/acme/protocol/openid-connect/certs`,
          }),
        );
      } else if (req.url === '/realms/acme/protocol/openid-connect/certs') {
        res.end(JSON.stringify(rsa.jwks));
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const issuer = `${base}/realms/acme`;
      const v = createTokenVerifier(loadConfig({ JWT_ISSUER: issuer, JWT_AUDIENCE: AUDIENCE }).auth);
      const sign = () => rsa.sign({ sub: 'kc-user' }, { issuer });
      expect((await v.verify(await sign())).sub).toBe('kc-user');
      expect((await v.verify(await sign())).sub).toBe('kc-user');
      expect(hits.filter((h) => h.endsWith('openid-configuration'))).toHaveLength(1);
      expect(hits).toContain('/realms/acme/protocol/openid-connect/certs');
    } finally {
      server.close();
    }
  });

  it('refuses tokens, as 401, while discovery fails', async () => {
    const v = createTokenVerifier(loadConfig({ JWT_ISSUER: 'http://127.0.0.1:9/nowhere' }).auth);
    await expect(
      v.verify(await rsa.sign({ sub: 'a' }, { issuer: 'http://127.0.0.1:9/nowhere' })),
    ).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
  });
});
