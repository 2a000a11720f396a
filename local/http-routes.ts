import type { HttpRoute } from '../shared/app/routes';

/**
 * Route matching of the HTTP API: method and path, `{name}` matching one segment and `{name+}` the rest
 * of the path. Where several routes match, API Gateway takes the most specific: the one with the most
 * literal segments, a greedy variable last.
 */
export interface RouteMatch<R extends HttpRoute> {
  route: R;
  /** Raw (still URL-encoded) segments, as the HTTP API's payload 2.0 passes them. */
  pathParameters: Record<string, string>;
}

interface Compiled<R> {
  route: R;
  segments: { literal?: string; param?: string; greedy?: boolean }[];
  literals: number;
}

export function createRouteMatcher<R extends HttpRoute>(routes: readonly R[]) {
  const compiled: Compiled<R>[] = routes.map((route) => {
    const segments = route.path
      .split('/')
      .slice(1)
      .map((s) => {
        const m = /^\{([A-Za-z0-9_]+)(\+)?\}$/.exec(s);
        return m ? { param: m[1]!, greedy: m[2] === '+' } : { literal: s };
      });
    return { route, segments, literals: segments.filter((s) => s.literal !== undefined).length };
  });
  // Most specific first, so the first match wins.
  compiled.sort((a, b) => b.literals - a.literals || Number(hasGreedy(a)) - Number(hasGreedy(b)));

  return (method: string, rawPath: string): RouteMatch<R> | null => {
    const parts = rawPath.split('/').slice(1);
    for (const c of compiled) {
      if (c.route.method !== method) continue;
      const params = matchSegments(c.segments, parts);
      if (params) return { route: c.route, pathParameters: params };
    }
    return null;
  };
}

const hasGreedy = (c: Compiled<unknown>) => c.segments.some((s) => s.greedy);

function matchSegments(
  segments: Compiled<unknown>['segments'],
  parts: string[],
): Record<string, string> | null {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s.greedy && s.param) {
      const rest = parts.slice(i).join('/');
      if (!rest) return null;
      params[s.param] = rest;
      return params;
    }
    const part = parts[i];
    if (part === undefined) return null;
    if (s.literal !== undefined) {
      if (s.literal !== part) return null;
    } else if (s.param) {
      if (part === '') return null;
      params[s.param] = part;
    }
  }
  return parts.length === segments.length ? params : null;
}
