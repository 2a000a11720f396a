import { principalFromContext } from '../shared/auth/principal';
import { connect } from '../shared/domain/connections';
import { callbackUrlOf, header, type WsEvent, type WsResult } from '../shared/events';
import { getDeps } from '../shared/runtime';

/**
 * $connect: a non-2xx status refuses the handshake with that status and no socket opens. API Gateway does
 * not pick a WebSocket sub-protocol itself: a client that offers some gets the first one echoed, or its
 * handshake would fail.
 */
export async function handler(event: WsEvent): Promise<WsResult> {
  const ctx = event.requestContext;
  const deps = getDeps(callbackUrlOf(ctx));
  const result = await connect(deps, {
    connectionId: ctx.connectionId,
    principal: principalFromContext(ctx.authorizer),
    channels: event.queryStringParameters?.channels,
    sourceIp: ctx.identity?.sourceIp,
    userAgent: ctx.identity?.userAgent,
  });
  if (!result.ok) {
    deps.log.info('connect refused', { status: result.status, reason: result.error.message });
    return { statusCode: result.status, body: result.error.message };
  }
  const offered = header(event.headers, 'sec-websocket-protocol');
  const protocol = offered?.split(',')[0]?.trim();
  return { statusCode: 200, ...(protocol ? { headers: { 'Sec-WebSocket-Protocol': protocol } } : {}) };
}
