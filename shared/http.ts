import { bearerToken, principalFromClaims } from './auth/jwt';
import { ANONYMOUS, type Principal } from './auth/principal';
import type { Deps } from './domain/context';
import { IDEMPOTENCY_STALE_MS, idempotencyKey } from './domain/publish';
import { asProtocolError, ProtocolError } from './errors';
import { type HttpEvent, type HttpResult, header } from './events';
import { byteLength } from './protocol';
import { type HttpRoute, httpRouteKey, httpRoutes, type LambdaName, type OperationsOf } from './routes';
import { getDeps } from './runtime';

export interface OperationInput {
  deps: Deps;
  principal: Principal;
  /** Path parameters, URL-decoded. */
  params: Record<string, string>;
  query: Record<string, string>;
  /** The parsed JSON body; undefined when there was none. */
  body: unknown;
  event: HttpEvent;
}

export interface OperationResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Operation = (input: OperationInput) => Promise<OperationResult>;

const DEFAULT_MAX_BODY = 64 * 1024;

/**
 * Builds the Lambda handler of one HTTP module from its operations; the route table says which routes it
 * serves, and the type says it must provide exactly those operations. The wrapper resolves the principal,
 * enforces the body limit, parses JSON, replays idempotent POSTs, and turns every error into an RFC 9457
 * problem: a client never sees a stack trace.
 */
export function httpHandler<L extends LambdaName>(lambda: L, operations: Record<OperationsOf<L>, Operation>) {
  const routes = new Map<string, HttpRoute>(
    (httpRoutes as readonly HttpRoute[]).filter((r) => r.lambda === lambda).map((r) => [httpRouteKey(r), r]),
  );
  return async (event: HttpEvent): Promise<HttpResult> => {
    const route = routes.get(event.routeKey);
    const instance = event.requestContext?.http?.path ?? event.rawPath;
    if (!route) return problem(new ProtocolError('NOT_FOUND', `no route ${event.routeKey}`), instance);
    let deps: Deps | undefined;
    try {
      deps = getDeps();
      const d = deps;
      const principal = await resolvePrincipal(d, route, event);
      const body = parseBody(event, route);
      const input: OperationInput = {
        deps: d,
        principal,
        params: decodeParams(event.pathParameters),
        query: { ...event.queryStringParameters } as Record<string, string>,
        body,
        event,
      };
      const operation = operations[route.operation as OperationsOf<L>];
      const key = idempotencyKeyOf(route, event, body);
      // Scoped by the request's own path, not the route template, and by the caller: one key sent to two
      // chats is two requests.
      const scope = `http#${route.method} ${event.rawPath}#${principal.sub ?? '-'}`;
      const result = key ? await idempotent(d, scope, key, () => operation(input)) : await operation(input);
      return json(result.status, result.body, result.headers);
    } catch (error) {
      const e = asProtocolError(error);
      if (e.code === 'INTERNAL') {
        const log = deps?.log ?? console;
        log.error('http operation failed', {
          route: event.routeKey,
          error: String((error as Error)?.stack ?? error),
        });
      }
      return problem(e, instance);
    }
  };
}

async function resolvePrincipal(deps: Deps, route: HttpRoute, event: HttpEvent): Promise<Principal> {
  if (route.auth === 'none') return ANONYMOUS;
  if (route.auth === 'optional') {
    const token = bearerToken(header(event.headers, 'authorization'));
    return token ? deps.verifier.verify(token) : ANONYMOUS;
  }
  // API Gateway's JWT authorizer has verified the token; these are its claims.
  const claims = event.requestContext.authorizer?.jwt?.claims;
  if (!claims) throw new ProtocolError('UNAUTHORIZED', 'a bearer token is required');
  const principal = principalFromClaims(claims, deps.config.auth);
  // API Gateway checked the scopes already; checked again so a misconfigured route fails closed.
  if (route.scopes && !route.scopes.some((s) => principal.scopes.includes(s))) {
    throw new ProtocolError('FORBIDDEN', `this route needs one of the scopes: ${route.scopes.join(', ')}`);
  }
  return principal;
}

function parseBody(event: HttpEvent, route: HttpRoute): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const max = route.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const size = byteLength(text);
  if (size > max)
    throw new ProtocolError('PAYLOAD_TOO_LARGE', `body is ${size} bytes; at most ${max} allowed`);
  try {
    return JSON.parse(text);
  } catch {
    throw new ProtocolError('INVALID_JSON', 'body is not valid JSON');
  }
}

function decodeParams(params: Record<string, string | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v === undefined) continue;
    try {
      out[k] = decodeURIComponent(v);
    } catch {
      out[k] = v;
    }
  }
  return out;
}

/** `Idempotency-Key`, or the body's `id` on routes whose body has one (POST /v1/publish). */
function idempotencyKeyOf(route: HttpRoute, event: HttpEvent, body: unknown): string | undefined {
  if (route.method !== 'POST') return undefined;
  const fromHeader = header(event.headers, 'idempotency-key');
  if (fromHeader !== undefined) {
    if (fromHeader.length === 0 || fromHeader.length > 255) {
      throw new ProtocolError('INVALID_MESSAGE', 'Idempotency-Key must be 1-255 characters');
    }
    return fromHeader;
  }
  const id = (body as { id?: unknown } | undefined)?.id;
  return route.path === '/v1/publish' && typeof id === 'string' && id.length > 0 ? id : undefined;
}

interface StoredResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** The first answer to a key is stored for 24 h and returned to every repeat; only a success is kept. */
async function idempotent(
  deps: Deps,
  scope: string,
  key: string,
  run: () => Promise<OperationResult>,
): Promise<OperationResult> {
  const fullKey = idempotencyKey(scope, key);
  const claim = await deps.messages.claimIdempotency<StoredResponse>(fullKey, {
    id: deps.ids.next(),
    now: deps.clock.now(),
    staleAfterMs: IDEMPOTENCY_STALE_MS,
  });
  if (!claim.claimed) {
    if (claim.state === 'pending') {
      throw new ProtocolError('CONFLICT', 'a request with this idempotency key is still being processed');
    }
    return { ...claim.result, headers: { ...claim.result.headers, 'idempotent-replayed': 'true' } };
  }
  let result: OperationResult;
  try {
    result = await run();
  } catch (error) {
    await deps.messages.releaseIdempotency(fullKey).catch((e: unknown) =>
      // The operation's own error is what the caller must see; the claim is taken over once stale.
      deps.log.warn('could not release an idempotency claim', { key: fullKey, error: String(e) }),
    );
    throw error;
  }
  if (result.status < 300) {
    await deps.messages.completeIdempotency<StoredResponse>(fullKey, result, deps.clock.now());
  } else {
    await deps.messages.releaseIdempotency(fullKey);
  }
  return result;
}

export function json(status: number, body?: unknown, headers?: Record<string, string>): HttpResult {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
}

export function problem(error: ProtocolError, instance?: string): HttpResult {
  return {
    statusCode: error.status,
    headers: { 'content-type': 'application/problem+json' },
    body: JSON.stringify(error.toProblem(instance)),
  };
}
