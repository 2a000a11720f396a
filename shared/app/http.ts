import { presentedToken } from '../core/auth/jwt';
import { ANONYMOUS, type Principal } from '../core/auth/principal';
import { asProtocolError, type ErrorCode, errorCodes, ProtocolError } from '../core/errors';
import { type Attempt, idempotent, keyInUse } from '../core/idempotency';
import type { Operation, OperationInput, OperationResult } from '../core/operations';
import type { IdempotencyStore } from '../core/ports';
import { byteLength, checkDepth } from '../core/protocol';
import type { BaseRuntime } from './base-runtime';
import { type HttpEvent, type HttpResult, header } from './events';
import {
  type HttpRoute,
  type HttpRouteEntry,
  httpRouteKey,
  httpRoutes,
  type LambdaName,
  type OperationsOf,
} from './routes';

const DEFAULT_MAX_BODY = 64 * 1024;

type HttpBaseDeps = Pick<BaseRuntime, 'config' | 'verifier' | 'clock' | 'ids' | 'log' | 'metrics'>;

/**
 * What the wrapper uses of the runtime. The idempotency store only for a Lambda with a POST route (any POST
 * may carry an Idempotency-Key): GET /v1/health's function has no table to keep keys in, nor needs one.
 */
export type HttpDeps<L extends LambdaName> = HttpBaseDeps &
  ([Extract<HttpRouteEntry, { lambda: L; method: 'POST' }>] extends [never]
    ? { idempotency?: IdempotencyStore }
    : { idempotency: IdempotencyStore });

/**
 * The Lambda handler of one HTTP module, made from a runtime and the module's operations; the route table
 * says which routes it serves, and the type says it must provide exactly those operations. The wrapper
 * resolves the principal, enforces the body limit, parses JSON, makes POSTs idempotent (core/idempotency.ts)
 * and turns every error into an RFC 9457 problem: a client never sees a stack trace.
 */
export function httpHandler<L extends LambdaName>(
  deps: HttpDeps<L>,
  lambda: L,
  operations: Record<OperationsOf<L>, Operation>,
): (event: HttpEvent) => Promise<HttpResult> {
  const routes = new Map<string, HttpRoute>(
    (httpRoutes as readonly HttpRoute[]).filter((r) => r.lambda === lambda).map((r) => [httpRouteKey(r), r]),
  );
  return async (event) => {
    const route = routes.get(event.routeKey);
    const path = event.requestContext?.http?.path ?? event.rawPath;
    if (!route) return failed(deps, new ProtocolError('NOT_FOUND', `no route ${event.routeKey}`), path);
    try {
      const principal = await resolvePrincipal(deps, route, event);
      const body = parseBody(event, route);
      const input: OperationInput = {
        principal,
        params: decodeParams(event.pathParameters),
        query: { ...event.queryStringParameters } as Record<string, string>,
        body,
        path,
      };
      const operation = operations[route.operation as OperationsOf<L>];
      const key = idempotencyKeyOf(route, event, body);
      const result = key
        ? await idempotentOperation(
            { ...deps, idempotency: idempotencyOf(deps) },
            route,
            event,
            principal,
            key,
            body,
            (attempt) => operation({ ...input, attempt }),
          )
        : await operation(input);
      // An operation may answer a problem itself (POST /v1/sensor-data, with its report): counted the same.
      const code = result.status >= 400 ? problemCode(result.body) : undefined;
      if (code) deps.metrics.countBy('Errors', code);
      return json(result.status, result.body, result.headers);
    } catch (error) {
      const e = asProtocolError(error);
      if (e.code === 'INTERNAL') {
        deps.log.error('http operation failed', {
          route: event.routeKey,
          error: String((error as Error)?.stack ?? error),
        });
      }
      return failed(deps, e, path);
    }
  };
}

/** A problem answer, counted in Errors by its code. */
function failed(deps: HttpBaseDeps, error: ProtocolError, path: string): HttpResult {
  deps.metrics.countBy('Errors', error.code);
  return problem(error, path);
}

const problemCode = (body: unknown): ErrorCode | undefined => {
  const code = (body as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && Object.hasOwn(errorCodes, code) ? (code as ErrorCode) : undefined;
};

/**
 * The caller, by one rule on every route that reads a token: a presented token is verified with the
 * runtime's verifier (the WebSocket authorizer's, with its cached key set), and one that does not verify
 * is 401, also on routes that serve anonymous callers. On `jwt` routes API Gateway's JWT authorizer has
 * checked the token already, but the claims it hands on are flattened into strings (`["evil acme"]` and
 * `["evil", "acme"]` both arrive as "[evil acme]"): the principal is read from the verified token instead.
 */
async function resolvePrincipal(deps: HttpBaseDeps, route: HttpRoute, event: HttpEvent): Promise<Principal> {
  if (route.auth === 'none') return ANONYMOUS;
  const token = presentedToken(header(event.headers, 'authorization'));
  if (token === undefined) {
    if (route.auth === 'optional') return ANONYMOUS;
    throw new ProtocolError('UNAUTHORIZED', 'a bearer token is required');
  }
  const principal = await deps.verifier.verify(token);
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
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ProtocolError('INVALID_JSON', 'body is not valid JSON');
  }
  // Before anything that recurses (zod, the idempotency fingerprint, JSON.stringify) sees the body.
  checkDepth(body);
  return body;
}

function decodeParams(params: Record<string, string | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v === undefined) continue;
    try {
      out[k] = decodeURIComponent(v);
    } catch {
      out[k] = v; // not percent-encoding after all: the value as sent
    }
  }
  return out;
}

/** A key comes only with a POST, and a Lambda with a POST route has the store (HttpDeps): this never throws. */
function idempotencyOf(deps: { idempotency?: IdempotencyStore | undefined }): IdempotencyStore {
  if (!deps.idempotency) throw new Error('an idempotency key, but no idempotency store');
  return deps.idempotency;
}

/** `Idempotency-Key` on a POST, or the body field the route table names as its key (POST /v1/publish's `id`). */
function idempotencyKeyOf(route: HttpRoute, event: HttpEvent, body: unknown): string | undefined {
  if (route.method !== 'POST') return undefined;
  const fromHeader = header(event.headers, 'idempotency-key');
  if (fromHeader !== undefined) {
    if (fromHeader.length === 0 || fromHeader.length > 255) {
      throw new ProtocolError('INVALID_MESSAGE', 'Idempotency-Key must be 1-255 characters');
    }
    return fromHeader;
  }
  if (route.idempotencyKeyField === undefined) return undefined;
  const value = (body as Record<string, unknown> | undefined)?.[route.idempotencyKeyField];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * The first answer to a key is kept for 24 h and returned to every repeat of the same request; only a
 * success is kept. The key is scoped by the request's own path (not the route template) and by the
 * caller: one key sent to two chats is two requests. What the request asks, for the fingerprint: its
 * method, path and body.
 */
async function idempotentOperation(
  deps: HttpBaseDeps & { idempotency: IdempotencyStore },
  route: HttpRoute,
  event: HttpEvent,
  principal: Principal,
  key: string,
  body: unknown,
  run: (attempt: Attempt) => Promise<OperationResult>,
): Promise<OperationResult> {
  const outcome = await idempotent(
    deps,
    {
      key: `http#${route.method} ${event.rawPath}#${principal.sub ?? '-'}#${key}`,
      request: { method: route.method, path: event.rawPath, body: body ?? null },
      id: deps.ids.next(),
    },
    run,
    (result) => result.status < 300,
  );
  switch (outcome.outcome) {
    case 'first':
      return outcome.result;
    case 'replay':
      return { ...outcome.result, headers: { ...outcome.result.headers, 'idempotent-replayed': 'true' } };
    case 'pending':
      throw keyInUse(outcome.retryAfterMs);
  }
}

export function json(status: number, body?: unknown, headers?: Record<string, string>): HttpResult {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
}

export function problem(error: ProtocolError, instance?: string): HttpResult {
  const retryAfter =
    error.retryAfterMs === undefined ? undefined : Math.max(1, Math.ceil(error.retryAfterMs / 1000));
  return {
    statusCode: error.status,
    headers: {
      'content-type': 'application/problem+json',
      ...(retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) }),
    },
    body: JSON.stringify(error.toProblem(instance)),
  };
}
