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
 * rotation, or an inline set), issuer, audience, an algorithm allow-list of asymmetric algorithms only
 * (so `alg: none` and an HS256 token "signed" with a public key both fail), expiry with a clock skew.
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
          ...(auth.audience.length > 0 ? { audience: auth.audience } : {}),
          algorithms: auth.algorithms,
          clockTolerance: auth.clockToleranceSeconds,
          requiredClaims: ['sub', 'exp'],
        }));
      } catch (error) {
        throw new TokenError(describeJoseError(error), { cause: error });
      }
      return principalFromClaims(payload, auth);
    },
  };
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
 * Claims to a principal. Works on a verified `jose` payload and on the claims API Gateway's JWT
 * authorizer puts in HTTP API events, where every value is a string and arrays look like "[a b c]".
 */
export function principalFromClaims(claims: Record<string, unknown>, cfg: ClaimConfig): Principal {
  const sub = typeof claims.sub === 'string' ? claims.sub : '';
  if (!sub) throw new TokenError('token has no "sub" claim');
  const username =
    cfg.usernameClaims
      .map((c) => claims[c])
      .find((v): v is string => typeof v === 'string' && v.length > 0) ?? sub;
  const orgs = listClaim(claims[cfg.orgsClaim])
    .filter((o) => o.startsWith(cfg.orgsPrefix))
    .map((o) => o.slice(cfg.orgsPrefix.length))
    .filter(Boolean);
  const scopes = [...listClaim(claims.scope), ...listClaim(claims.scp)];
  const exp = Number(claims.exp);
  return { sub, username, orgs, scopes: [...new Set(scopes)], exp: Number.isFinite(exp) ? exp : null };
}

/** A list-valued claim: a JSON array, a space- or comma-separated string, or API Gateway's "[a b]". */
export function listClaim(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value !== 'string') return [];
  const s = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  return s.split(/[\s,]+/).filter(Boolean);
}

/** The bearer token of a header value, or null. */
export function bearerToken(header: string | undefined): string | null {
  const m = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return m?.[1] ?? null;
}
