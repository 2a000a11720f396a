import type { WebSocketRoute } from '../shared/app/routes';

/**
 * API Gateway's route selection for the WebSocket API: evaluate the selection expression
 * (`$request.body.<path>`) on the frame; a string equal to a route key picks that route, anything else
 * (no such field, another type, an unknown key, a frame that is not JSON) picks `$default`.
 */
export type RouteSelector = (body: string) => WebSocketRoute;

const BODY_EXPRESSION = /^\$request\.body\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)$/;

export function createRouteSelector(expression: string, routes: readonly WebSocketRoute[]): RouteSelector {
  const match = BODY_EXPRESSION.exec(expression);
  if (!match) throw new Error(`Unsupported route selection expression "${expression}"`);
  const path = match[1]!.split('.');
  // $connect, $disconnect and $default are never selected by a frame's content.
  const byKey = new Map(routes.filter((r) => !r.routeKey.startsWith('$')).map((r) => [r.routeKey, r]));
  const fallback = routes.find((r) => r.routeKey === '$default');
  if (!fallback) throw new Error('The route table has no $default WebSocket route');

  return (body) => {
    const value = valueAt(parseJson(body), path);
    return (typeof value === 'string' && byKey.get(value)) || fallback;
  };
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function valueAt(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const key of path) {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}
