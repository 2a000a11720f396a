import { principalFromContext } from '../shared/auth/principal';
import { handleFrame } from '../shared/domain/frames';
import { callbackUrlOf, type WsEvent, type WsResult } from '../shared/events';
import { frameHandlers } from '../shared/features';
import { getDeps } from '../shared/runtime';

/**
 * Every client frame. The replies go out in order: all but the last through the Management API, the last
 * as the route response (one call saved on every request/response frame).
 */
export async function handler(event: WsEvent): Promise<WsResult> {
  const ctx = event.requestContext;
  const deps = getDeps(callbackUrlOf(ctx));
  const body =
    event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const frame = await handleFrame(deps, frameHandlers, {
    connectionId: ctx.connectionId,
    principal: principalFromContext(ctx.authorizer),
    body,
  });
  const replies = frame.replies;
  const last = frame.closeAfterReply ? undefined : replies.pop();
  const encoder = new TextEncoder();
  try {
    for (const reply of replies) await deps.gateway.post(ctx.connectionId, encoder.encode(reply));
    if (frame.closeAfterReply) await deps.gateway.close(ctx.connectionId);
  } catch (error) {
    deps.log.warn('could not answer a frame', { connectionId: ctx.connectionId, error: String(error) });
  }
  return { statusCode: 200, ...(last === undefined ? {} : { body: last }) };
}
