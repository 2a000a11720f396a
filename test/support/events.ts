import type { HttpEvent } from '../../shared/app/events';

/**
 * An HTTP API payload-2.0 event for `routeKey` ('POST /v1/publish'), as API Gateway sends it. `claims` puts
 * the JWT authorizer's claims on it, as API Gateway does on 'jwt' routes.
 */
export function httpEvent(
  routeKey: string,
  extra: Partial<HttpEvent> = {},
  claims?: Record<string, unknown>,
): HttpEvent {
  const [method = 'GET', path = '/'] = routeKey.split(' ');
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'http123',
      domainName: 'http123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'http123',
      requestId: 'req',
      routeKey,
      stage: '$default',
      time: '23/Nov/2026:12:00:00 +0000',
      timeEpoch: Date.now(),
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'curl' },
      ...(claims ? { authorizer: { jwt: { claims, scopes: null } } } : {}),
    },
    isBase64Encoded: false,
    ...extra,
  };
}
