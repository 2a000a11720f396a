import { bearerToken } from '../shared/auth/jwt';
import { principalToContext } from '../shared/auth/principal';
import { authorizeConnect } from '../shared/domain/authorize';
import { type AuthorizerResult, header, type WsAuthorizerEvent } from '../shared/events';
import { getDeps } from '../shared/runtime';

/**
 * The $connect REQUEST authorizer. Allow: the principal travels as context to every later route of the
 * connection. Deny: API Gateway answers the handshake 403. Throwing "Unauthorized": it answers 401.
 */
export async function handler(event: WsAuthorizerEvent): Promise<AuthorizerResult> {
  const deps = getDeps();
  const token =
    event.queryStringParameters?.token || bearerToken(header(event.headers, 'authorization')) || null;
  const decision = await authorizeConnect(deps, { token, origin: header(event.headers, 'origin') });
  if (decision.effect === 'unauthorized') {
    deps.log.info('connect refused', { reason: decision.reason });
    throw new Error('Unauthorized');
  }
  if (decision.effect === 'deny') {
    deps.log.info('connect denied', { reason: decision.reason });
    return policy('denied', 'Deny', event.methodArn);
  }
  const { principal } = decision;
  return policy(principal.sub ?? 'anonymous', 'Allow', event.methodArn, principalToContext(principal));
}

const policy = (
  principalId: string,
  effect: 'Allow' | 'Deny',
  resource: string,
  context?: Record<string, string>,
): AuthorizerResult => ({
  principalId,
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
  },
  ...(context ? { context } : {}),
});
