import { header } from '../shared/app/events';
import type { WebSocketRoute } from '../shared/app/routes';
import { evaluateAuthorizerResult } from './authorizer-policy';
import type { LiveConnection } from './connection-registry';
import type { Invoker } from './handlers';
import { errorText, type LocalLog } from './log';
import { authorizerEvent, connectEvent, type Handshake, type WsStage } from './ws-events';

/**
 * `$connect` as API Gateway runs it: the REQUEST authorizer first (throwing "Unauthorized" → 401, a Deny
 * policy → 403, anything else broken → 500), then the `$connect` integration with the authorizer's
 * context (a non-2xx status refuses the handshake with that status). No socket exists until both said yes.
 */
export type HandshakeOutcome =
  | { ok: true; protocol: string | undefined }
  | { ok: false; status: number; reason: string };

export interface HandshakeDeps {
  invoke: Invoker['invoke'];
  stage: WsStage;
  log: LocalLog;
  route: WebSocketRoute;
}

export async function runHandshake(
  deps: HandshakeDeps,
  connection: LiveConnection,
  handshake: Handshake,
): Promise<HandshakeOutcome> {
  const { route } = deps;
  if (route.authorizer) {
    const event = authorizerEvent(deps.stage, connection, handshake);
    const started = Date.now();
    let result: unknown;
    try {
      result = await deps.invoke(route.authorizer, event);
    } catch (error) {
      // Lambda authorizers say 401 by failing with exactly this message.
      if (error instanceof Error && error.message === 'Unauthorized')
        return refuse(401, 'authorizer: Unauthorized');
      return refuse(500, `authorizer failed: ${errorText(error)}`);
    }
    const decision = evaluateAuthorizerResult(result, event.methodArn);
    if (decision.effect === 'deny') return refuse(403, 'authorizer: Deny');
    if (decision.effect === 'invalid') return refuse(500, `authorizer answer invalid: ${decision.reason}`);
    connection.authorizer = { ...decision.authorizer, integrationLatency: Date.now() - started };
  }

  let result: unknown;
  try {
    result = await deps.invoke(route.lambda, connectEvent(deps.stage, connection, handshake));
  } catch (error) {
    return refuse(500, `$connect failed: ${errorText(error)}`);
  }
  const response = (typeof result === 'object' && result !== null ? result : {}) as {
    statusCode?: unknown;
    headers?: Record<string, string | undefined>;
    body?: unknown;
  };
  // A handler that returns no status lets the connection through, as a Lambda returning nothing does.
  const status = typeof response.statusCode === 'number' ? response.statusCode : 200;
  if (status < 200 || status > 299) {
    const detail = typeof response.body === 'string' ? `: ${response.body}` : '';
    return refuse(status, `$connect returned ${status}${detail}`);
  }
  // API Gateway does not negotiate a sub-protocol: it sends exactly what $connect put in its headers.
  return { ok: true, protocol: header(response.headers, 'sec-websocket-protocol') };
}

const refuse = (status: number, reason: string): HandshakeOutcome => ({ ok: false, status, reason });
