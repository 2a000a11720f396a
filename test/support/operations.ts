import type { Principal } from '../../shared/auth/principal';
import type { OperationInput } from '../../shared/http';
import type { FakeWorld } from './fakes';

/** An HTTP operation's input as the HTTP wrapper builds it, for calling operations on a fake world. */
export function operationInput(
  world: FakeWorld,
  principal: Principal,
  parts: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown } = {},
): OperationInput {
  return {
    deps: world,
    principal,
    params: parts.params ?? {},
    query: parts.query ?? {},
    body: parts.body,
    event: {
      version: '2.0',
      routeKey: '$default',
      rawPath: '/',
      rawQueryString: '',
      requestContext: {
        accountId: '123456789012',
        apiId: 'http123',
        domainName: 'localhost',
        domainPrefix: 'localhost',
        requestId: 'req',
        routeKey: '$default',
        stage: '$default',
        time: '23/Nov/2026:12:00:00 +0000',
        timeEpoch: world.clock.now(),
        http: { method: 'GET', path: '/', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      },
      isBase64Encoded: false,
    },
  };
}
