import { disconnect } from '../shared/domain/connections';
import { callbackUrlOf, type WsEvent, type WsResult } from '../shared/events';
import { getDeps } from '../shared/runtime';

/** $disconnect is best effort in API Gateway: fan-out's 410 handling and TTL clean up what it misses. */
export async function handler(event: WsEvent): Promise<WsResult> {
  const ctx = event.requestContext;
  const deps = getDeps(callbackUrlOf(ctx));
  deps.log.debug('disconnect', {
    connectionId: ctx.connectionId,
    code: ctx.disconnectStatusCode,
    reason: ctx.disconnectReason,
  });
  await disconnect(deps, ctx.connectionId);
  return { statusCode: 200 };
}
