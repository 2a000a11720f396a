import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import { ProtocolError } from '../errors';
import type { Principal } from './principal';

/** Who may connect and how tokens are read (shared/app/config.ts builds it from the environment). */
export interface AuthConfig {
  issuer: string | undefined;
  audience: string[];
  jwksUrl: string | undefined;
  jwks: string | undefined;
  jwksCooldownSeconds: number;
  jwksCacheSeconds: number;
  algorithms: string[];
  clockToleranceSeconds: number;
  orgsClaim: string;
  orgsPrefix: string;
  usernameClaims: string[];
  allowAnonymous: boolean;
  allowedOrigins: string[];
}

/** A token that must not be accepted. `reason` is for logs; clients only ever learn "401". */
export class TokenError extends ProtocolError {
  override name = 'TokenError';
  readonly reason: string;
  constructor(reason: string, options?: ErrorOptions) {
    super('UNAUTHORIZED', 'Invalid or expired token', options);
    this.reason = reason;
  }
}

export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

export type ClaimConfig = Pick<AuthConfig, 'orgsClaim' | 'orgsPrefix' | 'usernameClaims'>;

/**
 * Verifies JWTs with `jose`: signature against the issuer's key set (remote JWKS with caching and
 * rotation, or an inline set), issuer, an algorithm allow-list of asymmetric algorithms only (so
 * `alg: none` and an HS256 token "signed" with a public key both fail), expiry and not-before with a clock
 * skew, `iat` not in the future beyond that skew, and the audience as API Gateway's JWT authorizer checks
 * it (`aud`, or `client_id` when there is no `aud`). The one verifier of every path: the WebSocket
 * authorizer and every HTTP route that reads a token (shared/app/http.ts).
 */
export function createTokenVerifier(auth: AuthConfig): TokenVerifier {
  const keys = keySet(auth);
  return {
    async verify(token) {
      if (!keys) throw new TokenError('no token issuer is configured');
      if (!auth.issuer) throw new TokenError('JWT_ISSUER is not configured');
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: auth.issuer,
          algorithms: auth.algorithms,
          clockTolerance: auth.clockToleranceSeconds,
          requiredClaims: ['sub', 'exp'],
        }));
      } catch (error) {
        throw new TokenError(describeJoseError(error), { cause: error });
      }
      if (issuedInTheFuture(payload, Date.now() / 1000, auth.clockToleranceSeconds)) {
        throw new TokenError('claim "iat" invalid: the token was issued in the future');
      }
      if (auth.audience.length > 0 && !audienceMatches(payload, auth.audience)) {
        throw new TokenError('claim "aud" invalid: not an accepted audience');
      }
      return principalFromClaims(payload, auth);
    },
  };
}

/**
 * `iat` later than now (epoch seconds) by more than the skew. jose checks `iat` only with a maximum token
 * age; API Gateway's JWT authorizer refuses a token issued in the future, and so does every path here.
 */
export const issuedInTheFuture = (payload: JWTPayload, nowSec: number, toleranceSec: number): boolean =>
  typeof payload.iat === 'number' && payload.iat > nowSec + toleranceSec;

/**
 * API Gateway's audience rule: the token's `aud` (a string or a list) names one of the audiences; a token
 * without `aud` may name one in `client_id` instead (Cognito access tokens do).
 */
export function audienceMatches(payload: JWTPayload, audiences: readonly string[]): boolean {
  if (payload.aud !== undefined) {
    const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    return aud.some((a) => audiences.includes(a));
  }
  return typeof payload.client_id === 'string' && audiences.includes(payload.client_id);
}

/** Where a token's keys come from: JWKS_URL, an inline set, or the issuer's OIDC discovery (also local/). */
export function keySet(auth: AuthConfig): JWTVerifyGetKey | null {
  if (auth.jwksUrl) return remoteKeys(auth.jwksUrl, auth);
  if (auth.jwks) return createLocalJWKSet(JSON.parse(auth.jwks) as JSONWebKeySet);
  if (auth.issuer) return discoveredKeys(auth.issuer, auth);
  return null;
}

type RemoteCaching = Pick<AuthConfig, 'jwksCooldownSeconds' | 'jwksCacheSeconds'>;

// jose caches the set, refetches on an unknown `kid` (key rotation) at most once per cooldown, so a flood
// of tokens with made-up kids cannot turn into a flood of requests to the issuer.
const remoteKeys = (url: string, caching: RemoteCaching) =>
  createRemoteJWKSet(new URL(url), {
    cooldownDuration: caching.jwksCooldownSeconds * 1000,
    cacheMaxAge: caching.jwksCacheSeconds * 1000,
  });

/**
 * No JWKS_URL: the key set is found as OIDC clients find it, from the issuer's discovery document
 * (`{issuer}/.well-known/openid-configuration` → `jwks_uri`), which is right for Keycloak, Cognito, Auth0
 * and Okta alike. Looked up once; a failed lookup is retried on the next token.
 */
function discoveredKeys(issuer: string, caching: RemoteCaching): JWTVerifyGetKey {
  let keys: Promise<JWTVerifyGetKey> | null = null;
  const discover = async (): Promise<JWTVerifyGetKey> => {
    const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`OIDC discovery at ${url} answered ${res.status}`);
    const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (doc.issuer !== issuer)
      throw new Error(`OIDC discovery at ${url} names another issuer: ${String(doc.issuer)}`);
    if (typeof doc.jwks_uri !== 'string') throw new Error(`OIDC discovery at ${url} has no jwks_uri`);
    return remoteKeys(doc.jwks_uri, caching);
  };
  return async (header, token) => {
    keys ??= discover().catch((error: unknown) => {
      keys = null;
      throw error;
    });
    return (await keys)(header, token);
  };
}

function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'token expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed)
    return `claim "${error.claim}" invalid: ${error.reason}`;
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'no matching key';
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return 'unverifiable token';
}

/**
 * A verified token's claims to a principal: the one reading of claims, for the WebSocket authorizer and the
 * HTTP API alike. Organisations and scopes are exactly the token's: nothing is split that the issuer did
 * not separate (an organisation called "evil acme" is one organisation, never "acme").
 */
export function principalFromClaims(claims: Record<string, unknown>, cfg: ClaimConfig): Principal {
  const sub = typeof claims.sub === 'string' ? claims.sub : '';
  if (!sub) throw new TokenError('token has no "sub" claim');
  const username =
    cfg.usernameClaims
      .map((c) => claims[c])
      .find((v): v is string => typeof v === 'string' && v.length > 0) ?? sub;
  const orgs = orgsOf(claims[cfg.orgsClaim])
    .filter((o) => o.startsWith(cfg.orgsPrefix))
    .map((o) => o.slice(cfg.orgsPrefix.length))
    .filter(Boolean);
  const exp = Number(claims.exp);
  return {
    sub,
    username,
    orgs: [...new Set(orgs)],
    scopes: scopesOf(claims),
    exp: Number.isFinite(exp) ? exp : null,
  };
}

/**
 * The organisations claim: a JSON array, one organisation per element (Keycloak's `groups`, Cognito's
 * `cognito:groups`, Okta's and Azure's `groups` are arrays), or a string, which is one organisation.
 */
function orgsOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' ? [value] : [];
}

/**
 * A token's scopes, as API Gateway's JWT authorizer reads them for a route's authorization scopes: from
 * `scope` and `scp`, a string being a list separated by spaces (RFC 6749 section 3.3, RFC 8693: nothing
 * else delimits a scope, so `a,b` is one scope named "a,b"), an array (Okta's and Azure's `scp`) one scope
 * per element. An element that is not a scope token (empty, or with white space in it) is no scope at all:
 * `scp: ["x realtime:admin"]` grants nothing.
 */
export function scopesOf(claims: Record<string, unknown>): string[] {
  return [...new Set([...scopeList(claims.scope), ...scopeList(claims.scp)])];
}

function scopeList(value: unknown): string[] {
  const list = typeof value === 'string' ? value.split(' ') : Array.isArray(value) ? value : [];
  return list.filter((v): v is string => typeof v === 'string' && /^\S+$/.test(v));
}

/**
 * The token an `Authorization` header presents, read as API Gateway's JWT authorizer reads its identity
 * source: the value, or what follows `Bearer `. Undefined only when no header (or an empty one) was sent:
 * a header with anything in it presents a token, and a presented token that does not verify is refused
 * (401), never taken for no token at all, also where anonymous callers are served.
 */
export function presentedToken(header: string | undefined): string | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  return value.replace(/^Bearer\s+/i, '');
}
