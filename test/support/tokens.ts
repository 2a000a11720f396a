import { createHmac, generateKeyPairSync } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from 'jose';

export const ISSUER = 'https://issuer.test/realms/switchboard';
export const AUDIENCE = 'switchboard';

/** A signing key with its public JWKS, as an OIDC issuer publishes it. */
export async function testIssuer(kid = 'test-key-1', alg: 'RS256' | 'ES256' = 'RS256') {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const spki = await exportSPKI(publicKey);
  const sign = (
    claims: JWTPayload,
    opts: { expiresIn?: string | number; issuer?: string; audience?: string; issuedAt?: number } = {},
  ) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg, kid, typ: 'JWT' })
      .setIssuer(opts.issuer ?? ISSUER)
      .setAudience(opts.audience ?? AUDIENCE)
      .setIssuedAt(opts.issuedAt)
      .setExpirationTime(opts.expiresIn ?? '1h')
      .sign(privateKey);
  return { kid, alg, jwk, jwks: { keys: [jwk] }, spki, sign, privateKey };
}

const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

/** An unsecured JWT: `alg: none`, no signature. */
export function unsignedToken(claims: JWTPayload): string {
  return `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}.`;
}

/**
 * The classic key-confusion attack: an HS256 token whose HMAC secret is the issuer's *public* key, which a
 * verifier that trusts the header's `alg` would accept.
 */
export function hs256WithPublicKey(claims: JWTPayload, publicKeyPem: string, kid: string): string {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid }));
  const body = b64url(JSON.stringify(claims));
  const sig = createHmac('sha256', publicKeyPem).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

export const nowSec = () => Math.floor(Date.now() / 1000);

/**
 * The unit tests' own issuer: an EC key made at once (no wait for RSA), the environment a runtime that
 * trusts it takes (test/support/fakes.ts fakeWorld uses it), and its tokens.
 */
const unitKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
export const UNIT_AUTH_ENV = {
  JWT_ISSUER: ISSUER,
  JWT_AUDIENCE: AUDIENCE,
  JWT_JWKS: JSON.stringify({
    keys: [{ ...unitKey.publicKey.export({ format: 'jwk' }), kid: 'unit-1', alg: 'ES256', use: 'sig' }],
  }),
};

/** A token of the unit tests' issuer with these claims (iss, aud, iat now or `issuedAt`, a 1 h exp). */
export const unitToken = (claims: JWTPayload, opts: { issuedAt?: number } = {}): Promise<string> =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: 'unit-1', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(opts.issuedAt)
    .setExpirationTime('1h')
    .sign(unitKey.privateKey);
