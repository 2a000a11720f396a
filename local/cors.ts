import { originAllowed } from '../shared/core/auth/authorize-connect';

/**
 * The HTTP API's CORS configuration (corsPreflight): API Gateway answers preflights itself and adds
 * `access-control-allow-origin` to every response for an allowed origin. Origins come from
 * ALLOWED_ORIGINS, the same list the WebSocket authorizer checks; an empty list allows any (`*`).
 */
export interface CorsPolicy {
  allowOrigins: readonly string[];
  allowMethods: readonly string[];
  allowHeaders: readonly string[];
  maxAgeSeconds: number;
}

/** `access-control-allow-origin` for a request from `origin`, or nothing where it is not allowed. */
export function allowOriginHeaders(policy: CorsPolicy, origin: string | undefined): Record<string, string> {
  if (!origin) return {};
  if (policy.allowOrigins.length === 0 || policy.allowOrigins.includes('*')) {
    return { 'access-control-allow-origin': '*' };
  }
  return originAllowed(origin, policy.allowOrigins)
    ? { 'access-control-allow-origin': origin, vary: 'Origin' }
    : {};
}

/** A preflight is an OPTIONS with Origin and Access-Control-Request-Method. */
export const isPreflight = (method: string, headers: Record<string, string>): boolean =>
  method === 'OPTIONS' && !!headers.origin && !!headers['access-control-request-method'];

export function preflightHeaders(policy: CorsPolicy, origin: string): Record<string, string> {
  const allow = allowOriginHeaders(policy, origin);
  if (!allow['access-control-allow-origin']) return {};
  return {
    ...allow,
    'access-control-allow-methods': policy.allowMethods.join(','),
    'access-control-allow-headers': policy.allowHeaders.join(','),
    'access-control-max-age': String(policy.maxAgeSeconds),
  };
}
