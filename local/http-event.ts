import type { HttpEvent } from '../shared/app/events';
import { type HttpRoute, httpRouteKey } from '../shared/app/routes';
import { awsStyleId, HTTP_API_ID, LOCAL_ACCOUNT_ID, requestTime } from './ids';
import { lowerCaseHeaders, parseQuery, type RequestParts } from './request-parts';

/**
 * The HTTP API's payload format 2.0, both ways: the event a Lambda integration gets, and how API Gateway
 * turns what the Lambda returns into an HTTP response.
 */
export interface HttpEventInput {
  route: HttpRoute;
  request: RequestParts;
  pathParameters: Record<string, string>;
  body: Buffer;
  /** What the JWT authorizer put in the context, on `jwt` routes. */
  jwt?: { claims: Record<string, string>; scopes: string[] | null };
  port: number;
}

/** Bodies API Gateway passes as text; everything else arrives base64-encoded. */
const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i;

export function httpEvent(input: HttpEventInput): HttpEvent {
  const { request, route } = input;
  const all = lowerCaseHeaders(request.multiValueHeaders);
  const { cookie, ...rest } = all;
  const headers: Record<string, string> = {
    ...rest,
    'x-forwarded-for': request.sourceIp,
    'x-forwarded-port': String(input.port),
    'x-forwarded-proto': 'http',
  };
  const cookies = cookie
    ?.split(';')
    .map((c) => c.trim())
    .filter(Boolean);
  // Payload 2.0 joins the values of a repeated query parameter with commas.
  const query = Object.fromEntries(
    Object.entries(parseQuery(request.rawQueryString)).map(([k, v]) => [k, v.join(',')]),
  );
  const domainName = all.host ?? `127.0.0.1:${input.port}`;
  const now = Date.now();
  const text = input.body.length === 0 || isText(all['content-type'], input.body);
  const routeKey = httpRouteKey(route);
  return {
    version: '2.0',
    routeKey,
    rawPath: request.rawPath,
    rawQueryString: request.rawQueryString,
    ...(cookies?.length ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(Object.keys(input.pathParameters).length > 0 ? { pathParameters: input.pathParameters } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: HTTP_API_ID,
      domainName,
      domainPrefix: domainName.split('.')[0]!.split(':')[0]!,
      http: {
        method: request.method,
        path: request.rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: request.userAgent ?? '',
      },
      requestId: awsStyleId(),
      routeKey,
      stage: '$default',
      time: requestTime(now),
      timeEpoch: now,
      ...(input.jwt ? { authorizer: { jwt: input.jwt } } : {}),
    },
    ...(input.body.length > 0
      ? { body: text ? input.body.toString('utf8') : input.body.toString('base64') }
      : {}),
    isBase64Encoded: !text,
  };
}

const isText = (contentType: string | undefined, body: Buffer): boolean =>
  contentType !== undefined &&
  TEXT_TYPES.test(contentType) &&
  Buffer.from(body.toString('utf8')).equals(body);

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/**
 * Payload 2.0 responses: an object with `statusCode` is taken as it is (`cookies` become `set-cookie`,
 * a base64 body is decoded); anything else is a 200 with the value as a JSON body.
 */
export function httpResponse(result: unknown): HttpResponse {
  if (typeof result === 'object' && result !== null && 'statusCode' in result) {
    const r = result as {
      statusCode: unknown;
      headers?: unknown;
      body?: unknown;
      isBase64Encoded?: unknown;
      cookies?: unknown;
    };
    const status = Number(r.statusCode);
    if (!Number.isInteger(status) || status < 100 || status > 599) throw new Error('invalid statusCode');
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries((r.headers ?? {}) as Record<string, unknown>)) {
      if (v !== undefined && v !== null) headers[k.toLowerCase()] = String(v);
    }
    if (Array.isArray(r.cookies) && r.cookies.length > 0) headers['set-cookie'] = r.cookies.map(String);
    const body =
      typeof r.body === 'string'
        ? r.body
        : r.body === undefined || r.body === null
          ? ''
          : JSON.stringify(r.body);
    return {
      status,
      headers,
      body: r.isBase64Encoded === true ? Buffer.from(body, 'base64') : Buffer.from(body),
    };
  }
  const body = typeof result === 'string' ? result : JSON.stringify(result ?? null);
  return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(body) };
}
