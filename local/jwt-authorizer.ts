import { type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import {
  type AuthConfig,
  audienceMatches,
  issuedInTheFuture,
  keySet,
  scopesOf,
} from '../shared/core/auth/jwt';

/**
 * The HTTP API's native JWT authorizer, with the checks its documentation lists: the token from
 * `Authorization` (bare or after `Bearer `), an RSA signature against the issuer's key set ("currently,
 * only RSA-based algorithms are supported" — an ES256 token fails here exactly as it would in AWS), `iss`,
 * `aud` or `client_id` against the audiences, `exp`, `nbf`, `iat`; then the route's scopes against the
 * token's `scope` or `scp` (the one reading of scopes, shared/core/auth/jwt.ts `scopesOf`). Claims reach
 * the handler as API Gateway hands them over: every value a string, an array flattened into `[a b]`, which
 * is why no handler reads them (shared/app/http.ts reads the verified token itself).
 */
export type JwtAuthorization =
  | { ok: true; jwt: { claims: Record<string, string>; scopes: string[] | null } }
  | { ok: false; status: 401 | 403; message: 'Unauthorized' | 'Forbidden'; wwwAuthenticate: string };

export type JwtAuthorizer = (
  authorization: string | undefined,
  routeScopes: readonly string[] | undefined,
) => Promise<JwtAuthorization>;

const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512'];

export function createJwtAuthorizer(auth: AuthConfig): JwtAuthorizer {
  // The stack's key set (the dev issuer's inline), or, like API Gateway, the issuer's OIDC discovery.
  const keys = keySet(auth);

  return async (authorization, routeScopes) => {
    const token = authorization?.replace(/^Bearer\s+/i, '').trim();
    if (!token) return unauthorized('');
    if (!keys || !auth.issuer) return unauthorized('no issuer is configured');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: auth.issuer,
        algorithms: RSA_ALGORITHMS,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      return unauthorized(describe(error));
    }
    // "iat: must be before the current time" (API Gateway's list of the claims it evaluates): no skew.
    if (issuedInTheFuture(payload, Date.now() / 1000, 0)) {
      return unauthorized('the token was issued in the future');
    }
    if (auth.audience.length > 0 && !audienceMatches(payload, auth.audience)) {
      return unauthorized('the token does not have a valid audience');
    }
    const tokenScopes = scopesOf(payload);
    if (routeScopes && routeScopes.length > 0) {
      if (!routeScopes.some((s) => tokenScopes.includes(s))) {
        return {
          ok: false,
          status: 403,
          message: 'Forbidden',
          wwwAuthenticate: `Bearer scope="${routeScopes.join(' ')}" error="insufficient_scope" error_description="expected scopes: ${routeScopes.join(' ')}"`,
        };
      }
    }
    return {
      ok: true,
      jwt: { claims: stringifyClaims(payload), scopes: routeScopes?.length ? tokenScopes : null },
    };
  };
}

const unauthorized = (description: string): JwtAuthorization => ({
  ok: false,
  status: 401,
  message: 'Unauthorized',
  wwwAuthenticate: description
    ? `Bearer scope="" error="invalid_token" error_description="${description}"`
    : 'Bearer',
});

function describe(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed)
    return `the token has an invalid "${error.claim}" claim`;
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'the token is not signed with an RSA algorithm';
  return 'the token could not be verified';
}

/**
 * API Gateway's string form of claims: strings as they are, numbers and booleans printed, arrays as
 * `[a b c]`, objects as `map[k:v]` (the Go formatting it exposes).
 */
export function stringifyClaims(payload: JWTPayload): Record<string, string> {
  return Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, claimString(v)]));
}

function claimString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(claimString).join(' ')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => a.localeCompare(b));
    return `map[${entries.map(([k, v]) => `${k}:${claimString(v)}`).join(' ')}]`;
  }
  return String(value);
}
