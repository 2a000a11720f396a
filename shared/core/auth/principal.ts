/** Who is speaking: taken from a verified token, never from a frame. */
export interface Principal {
  /** The token's `sub`; null for an anonymous connection. */
  sub: string | null;
  /** Display name: the first of the configured claims that is set (preferred_username, name, sub). */
  username: string;
  orgs: string[];
  scopes: string[];
  /** Token expiry in epoch seconds; null when anonymous. */
  exp: number | null;
}

export const ANONYMOUS: Principal = Object.freeze({
  sub: null,
  username: 'Anonymous',
  orgs: [],
  scopes: [],
  exp: null,
}) as Principal;

export const SCOPE_PUBLISH = 'realtime:publish';
export const SCOPE_ADMIN = 'realtime:admin';

export const hasScope = (p: Principal, scope: typeof SCOPE_PUBLISH | typeof SCOPE_ADMIN): boolean =>
  p.scopes.includes(SCOPE_ADMIN) || p.scopes.includes(scope);

export const isAnonymous = (p: Principal): p is Principal & { sub: null } => p.sub === null;

/** The sender block of a frame: `{id, username}`, or null for anonymous senders. */
export const senderOf = (p: Principal): { id: string; username: string } | null =>
  p.sub === null ? null : { id: p.sub, username: p.username };

/**
 * API Gateway hands an authorizer's context to every later route, but only as flat string, number or
 * boolean values. These two functions are the one encoding of a principal in that context.
 */
export type AuthorizerContext = Record<string, string>;

export function principalToContext(p: Principal): AuthorizerContext {
  return {
    sub: p.sub ?? '',
    username: p.username,
    orgs: JSON.stringify(p.orgs),
    scopes: p.scopes.join(' '),
    exp: p.exp === null ? '' : String(p.exp),
  };
}

export function principalFromContext(ctx: Record<string, unknown> | null | undefined): Principal {
  const str = (k: string): string => {
    const v = ctx?.[k];
    return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
  };
  const sub = str('sub');
  if (!sub) return ANONYMOUS;
  let orgs: string[] = [];
  try {
    const parsed: unknown = JSON.parse(str('orgs') || '[]');
    if (Array.isArray(parsed)) orgs = parsed.filter((o): o is string => typeof o === 'string');
  } catch {
    orgs = [];
  }
  const exp = Number(str('exp'));
  return {
    sub,
    username: str('username') || sub,
    orgs,
    scopes: str('scopes').split(' ').filter(Boolean),
    exp: Number.isFinite(exp) && exp > 0 ? exp : null,
  };
}
