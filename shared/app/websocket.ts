import * as z from 'zod/mini';
import type { AfterConnectEvent } from '../adapters/lambda';
import {
  type AfterConnectJob,
  type AfterConnectReport,
  type AfterConnectStarter,
  afterConnect,
} from '../core/after-connect';
import { principalFromContext } from '../core/auth/principal';
import { connect, disconnect } from '../core/connections';
import { createFrameRouter, type FrameRouter, handleFrame } from '../core/session/frames';
import { sessionFrames } from '../core/session/session-frames';
import { features } from '../features';
import { callbackUrlOf, header, type LambdaContext, type WsEvent, type WsResult } from './events';
import type { Runtime } from './runtime';

/**
 * The WebSocket API's handlers, each made from a runtime (lambdas/ws-*.ts are these and nothing else; the
 * `$connect` authorizer, which has a runtime of its own, is ./authorizer.ts). A
 * WebSocket event names the stage it came through; replies and deliveries go back through that stage's
 * Management API (Runtime.forEndpoint).
 */

/**
 * $connect: a non-2xx status refuses the handshake with that status and no socket opens. API Gateway does
 * not pick a WebSocket sub-protocol itself: a client that offers some gets the first one echoed, or its
 * handshake would fail. The join hooks do not run here: `afterConnect` starts the after-connect Lambda
 * for them (asynchronously), so the handshake's work does not grow with the channels' sizes.
 */
export function connectHandler(rt: Runtime, afterConnect: AfterConnectStarter) {
  return async (event: WsEvent, context?: LambdaContext): Promise<WsResult> => {
    const ctx = event.requestContext;
    const endpoint = callbackUrlOf(ctx);
    const stage = rt.forEndpoint(endpoint);
    const remainingMs = context ? () => context.getRemainingTimeInMillis() : undefined;
    const result = await connect(
      stage,
      {
        connectionId: ctx.connectionId,
        principal: principalFromContext(ctx.authorizer),
        channels: event.queryStringParameters?.channels,
        dialect: event.queryStringParameters?.dialect || undefined,
        sourceIp: ctx.identity?.sourceIp,
        userAgent: ctx.identity?.userAgent,
      },
      remainingMs ? { remainingMs } : {},
    );
    if (!result.ok) {
      rt.log.info('connect refused', { status: result.status, reason: result.error.message });
      return { statusCode: result.status, body: result.error.message };
    }
    if (result.afterConnect) {
      await startAfterConnect(rt, afterConnect, { ...result.afterConnect, endpoint }, remainingMs);
    }
    const offered = header(event.headers, 'sec-websocket-protocol');
    const protocol = offered?.split(',')[0]?.trim();
    return { statusCode: 200, ...(protocol ? { headers: { 'Sec-WebSocket-Protocol': protocol } } : {}) };
  };
}

/** The longest a `$connect` waits for Lambda to accept its after-connect job. */
export const AFTER_CONNECT_START_MS = 2_000;

/**
 * Hands the after-connect job over within a bounded time, leaving the Lambda a second to answer. A
 * hand-over that fails keeps the connection (stored and counted, as it should be) without its join
 * notices: logged, since the others were not told.
 */
async function startAfterConnect(
  rt: Runtime,
  starter: AfterConnectStarter,
  job: AfterConnectJob & { endpoint: string },
  remainingMs: (() => number) | undefined,
): Promise<void> {
  const budget = Math.min(AFTER_CONNECT_START_MS, (remainingMs?.() ?? Number.POSITIVE_INFINITY) - 1_000);
  try {
    if (budget <= 0) throw new Error('no time left');
    await starter.start(job, AbortSignal.timeout(budget));
  } catch (error) {
    rt.log.warn('could not start the after-connect work: joins not announced', {
      connectionId: job.connectionId,
      channels: job.channels,
      error: String(error),
    });
  }
}

/**
 * The after-connect Lambda (lambdas/after-connect.ts), started by `$connect` with an asynchronous Invoke:
 * the join hooks of the channels joined at connect, through the Management API of the connection's stage.
 * An event that is not one (a bug, or a hand-made Invoke) fails the invocation: Lambda keeps it in the
 * function's on-failure queue.
 */
export function afterConnectHandler(rt: Runtime) {
  return async (event: unknown): Promise<AfterConnectReport> => {
    const parsed = afterConnectEventSchema.safeParse(event);
    if (!parsed.success) throw new Error(`not an after-connect event: ${z.prettifyError(parsed.error)}`);
    const { connectionId, principal, channels, counts, endpoint } = parsed.data;
    return afterConnect(rt.forEndpoint(endpoint), {
      connectionId,
      principal: principalFromContext(principal),
      channels,
      ...(counts ? { counts } : {}),
    });
  };
}

const afterConnectEventSchema = z.object({
  connectionId: z.string().check(z.minLength(1)),
  principal: z.record(z.string(), z.string()),
  channels: z.array(z.string()),
  counts: z.optional(z.record(z.string(), z.int().check(z.nonnegative()))),
  endpoint: z.string().check(z.minLength(1)),
}) satisfies z.ZodMiniType<AfterConnectEvent>;

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
    const dialect = ctx.authorizer?.dialect;
    const frame = await handleFrame(stage, routerOf(stage), {
      connectionId: ctx.connectionId,
      principal: principalFromContext(ctx.authorizer),
      body,
      dialect: typeof dialect === 'string' ? stage.dialects[dialect] : undefined,
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
