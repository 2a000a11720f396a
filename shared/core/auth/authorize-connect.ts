import { type AuthConfig, TokenError, type TokenVerifier } from './jwt';
import { ANONYMOUS, type Principal } from './principal';

export type ConnectDecision =
  | { effect: 'allow'; principal: Principal }
  /** 403 on the handshake. */
  | { effect: 'deny'; reason: string }
  /** 401 on the handshake. */
  | { effect: 'unauthorized'; reason: string };

export interface ConnectRequest {
  /** From `?token=` or `Authorization: Bearer`. */
  token: string | null;
  origin: string | undefined;
}

/**
 * The `$connect` authorizer's decision: Origin against the allow-list, then the token. No token is an
 * anonymous connection where anonymous access is enabled; a bad token is always refused, never downgraded
 * to anonymous.
 */
export async function authorizeConnect(
  deps: {
    config: { auth: Pick<AuthConfig, 'allowAnonymous' | 'allowedOrigins'> };
    verifier: TokenVerifier;
  },
  request: ConnectRequest,
): Promise<ConnectDecision> {
  const { auth } = deps.config;
  if (request.origin !== undefined && !originAllowed(request.origin, auth.allowedOrigins)) {
    return { effect: 'deny', reason: `origin ${request.origin} is not allowed` };
  }
  if (!request.token) {
    return auth.allowAnonymous
      ? { effect: 'allow', principal: ANONYMOUS }
      : { effect: 'unauthorized', reason: 'a token is required' };
  }
  try {
    return { effect: 'allow', principal: await deps.verifier.verify(request.token) };
  } catch (error) {
    if (error instanceof TokenError) return { effect: 'unauthorized', reason: error.reason };
    throw error;
  }
}

/** An empty list allows every origin; `*` in the list does too. Compared without a trailing slash, any case. */
export function originAllowed(origin: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0 || allowed.includes('*')) return true;
  const norm = (o: string) => o.trim().replace(/\/+$/, '').toLowerCase();
  const o = norm(origin);
  return allowed.some((a) => norm(a) === o);
}
