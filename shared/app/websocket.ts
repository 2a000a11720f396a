import { authorizeConnect } from '../core/auth/authorize-connect';
import { presentedToken } from '../core/auth/jwt';
import { principalFromContext, principalToContext } from '../core/auth/principal';
import { connect, disconnect } from '../core/connections';
import { createFrameRouter, type FrameRouter, handleFrame } from '../core/session/frames';
import { sessionFrames } from '../core/session/session-frames';
import { features } from '../features';
import {
  type AuthorizerResult,
  callbackUrlOf,
  header,
  type WsAuthorizerEvent,
  type WsEvent,
  type WsResult,
} from './events';
import type { Runtime } from './runtime';

/**
 * The WebSocket API's handlers, each made from a runtime (lambdas/ws-*.ts are these and nothing else). A
 * WebSocket event names the stage it came through; replies and deliveries go back through that stage's
 * Management API (Runtime.forEndpoint).
 */

/**
 * The $connect REQUEST authorizer. Allow: the principal travels as context to every later route of the
 * connection. Deny: API Gateway answers the handshake 403. Throwing "Unauthorized": it answers 401.
 */
export function authorizerHandler(rt: Runtime) {
  return async (event: WsAuthorizerEvent): Promise<AuthorizerResult> => {
    const token =
      event.queryStringParameters?.token || presentedToken(header(event.headers, 'authorization')) || null;
    const decision = await authorizeConnect(rt, { token, origin: header(event.headers, 'origin') });
    if (decision.effect === 'unauthorized') {
      rt.log.info('connect refused', { reason: decision.reason });
      throw new Error('Unauthorized');
    }
    if (decision.effect === 'deny') {
      rt.log.info('connect denied', { reason: decision.reason });
      return policy('denied', 'Deny', event.methodArn);
    }
    const { principal } = decision;
    return policy(principal.sub ?? 'anonymous', 'Allow', event.methodArn, principalToContext(principal));
  };
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

/**
 * $connect: a non-2xx status refuses the handshake with that status and no socket opens. API Gateway does
 * not pick a WebSocket sub-protocol itself: a client that offers some gets the first one echoed, or its
 * handshake would fail.
 */
export function connectHandler(rt: Runtime) {
  return async (event: WsEvent): Promise<WsResult> => {
    const ctx = event.requestContext;
    const stage = rt.forEndpoint(callbackUrlOf(ctx));
    const result = await connect(stage, {
      connectionId: ctx.connectionId,
      principal: principalFromContext(ctx.authorizer),
      channels: event.queryStringParameters?.channels,
      sourceIp: ctx.identity?.sourceIp,
      userAgent: ctx.identity?.userAgent,
    });
    if (!result.ok) {
      rt.log.info('connect refused', { status: result.status, reason: result.error.message });
      return { statusCode: result.status, body: result.error.message };
    }
    const offered = header(event.headers, 'sec-websocket-protocol');
    const protocol = offered?.split(',')[0]?.trim();
    return { statusCode: 200, ...(protocol ? { headers: { 'Sec-WebSocket-Protocol': protocol } } : {}) };
  };
}

/** $disconnect is best effort in API Gateway: deliveries' 410 handling and TTL clean up what it misses. */
export function disconnectHandler(rt: Runtime) {
  return async (event: WsEvent): Promise<WsResult> => {
    const ctx = event.requestContext;
    rt.log.debug('disconnect', {
      connectionId: ctx.connectionId,
      code: ctx.disconnectStatusCode,
      reason: ctx.disconnectReason,
    });
    await disconnect(rt.forEndpoint(callbackUrlOf(ctx)), ctx.connectionId);
    return { statusCode: 200 };
  };
}

/** Every client frame the runtime's handlers understand: the session's, then each feature's. */
export function frameRouter(rt: Runtime): FrameRouter {
  return createFrameRouter([
    { typed: sessionFrames(rt), typeless: {} },
    ...Object.values(features).flatMap((feature) => feature.frames?.(rt) ?? []),
  ]);
}

/**
 * Every client frame. The replies go out in order: all but the last through the Management API, the last
 * as the route response (one call saved on every request/response frame).
 */
export function messageHandler(rt: Runtime) {
  const routers = new Map<Runtime, FrameRouter>();
  const routerOf = (stage: Runtime): FrameRouter => {
    let router = routers.get(stage);
    if (!router) {
      router = frameRouter(stage);
      routers.set(stage, router);
    }
    return router;
  };
  const encoder = new TextEncoder();
  return async (event: WsEvent): Promise<WsResult> => {
    const ctx = event.requestContext;
    const stage = rt.forEndpoint(callbackUrlOf(ctx));
    const body =
      event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    const frame = await handleFrame(stage, routerOf(stage), {
      connectionId: ctx.connectionId,
      principal: principalFromContext(ctx.authorizer),
      body,
    });
    const replies = frame.replies;
    const last = frame.closeAfterReply ? undefined : replies.pop();
    try {
      for (const reply of replies) {
        if ((await stage.gateway.post(ctx.connectionId, encoder.encode(reply))) === 'gone') break;
      }
      if (frame.closeAfterReply) await stage.gateway.close(ctx.connectionId);
    } catch (error) {
      rt.log.warn('could not answer a frame', { connectionId: ctx.connectionId, error: String(error) });
    }
    return { statusCode: 200, ...(last === undefined ? {} : { body: last }) };
  };
}
