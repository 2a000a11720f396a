import type { IncomingMessage, ServerResponse } from 'node:http';
import { type HttpRoute, httpRouteKey, httpRoutes } from '../shared/app/routes';
import { allowOriginHeaders, type CorsPolicy, isPreflight, preflightHeaders } from './cors';
import type { Invoker } from './handlers';
import { httpEvent, httpResponse } from './http-event';
import { createRouteMatcher } from './http-routes';
import { BodyTooLargeError, readBody, sendJson } from './http-util';
import { awsStyleId } from './ids';
import type { JwtAuthorizer } from './jwt-authorizer';
import { HTTP_MAX_BODY_BYTES } from './limits';
import { errorText, type LocalLog } from './log';
import { lowerCaseHeaders, type RequestParts } from './request-parts';

/**
 * The HTTP API: every route of the route table on its Lambda, with CORS preflights, the JWT authorizer on
 * `jwt` routes, payload format 2.0 both ways, and API Gateway's own answers where no Lambda runs
 * (404 Not Found, 401/403 from the authorizer, 413, 500 when the integration fails).
 */
export interface HttpApiOptions {
  invoker: Invoker;
  authorize: JwtAuthorizer;
  cors: CorsPolicy;
  log: LocalLog;
  port: number;
}

export function createHttpApi(options: HttpApiOptions) {
  const { invoker, authorize, cors, log } = options;
  const match = createRouteMatcher<HttpRoute>(httpRoutes);

  return async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    request: RequestParts,
  ): Promise<void> {
    const headers = lowerCaseHeaders(request.multiValueHeaders);
    const requestId = { 'apigw-requestid': awsStyleId() };
    if (isPreflight(request.method, headers)) {
      return sendJson(res, 204, undefined, { ...preflightHeaders(cors, headers.origin!), ...requestId });
    }
    const responseHeaders = { ...allowOriginHeaders(cors, headers.origin), ...requestId };
    const reply = (status: number, message: string, extra: Record<string, string> = {}) =>
      sendJson(res, status, { message }, { ...responseHeaders, ...extra });

    const found = match(request.method, request.rawPath);
    if (!found) return reply(404, 'Not Found');
    const { route } = found;

    let body: Buffer;
    try {
      body = await readBody(req, HTTP_MAX_BODY_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return reply(413, 'Request Entity Too Large');
      throw error;
    }

    let jwt: { claims: Record<string, string>; scopes: string[] | null } | undefined;
    if (route.auth === 'jwt') {
      const decision = await authorize(headers.authorization, route.scopes);
      if (!decision.ok) {
        return reply(decision.status, decision.message, { 'www-authenticate': decision.wwwAuthenticate });
      }
      jwt = decision.jwt;
    }

    const event = httpEvent({
      route,
      request,
      pathParameters: found.pathParameters,
      body,
      ...(jwt ? { jwt } : {}),
      port: options.port,
    });
    let response: ReturnType<typeof httpResponse>;
    try {
      response = httpResponse(await invoker.invoke(route.lambda, event));
    } catch (error) {
      log.error(`${httpRouteKey(route)} failed: ${errorText(error)}`);
      return reply(500, 'Internal Server Error');
    }
    log.debug(`${request.method} ${request.rawPath} → ${response.status}`);
    // API Gateway's CORS headers override the integration's own.
    res.writeHead(response.status, { ...response.headers, ...responseHeaders });
    res.end(response.body);
  };
}
