import { isUtf8 } from 'node:buffer';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket } from 'ws';
import { type CloseInfo, clientClose, closeForWsError, closes } from './close-codes';
import type { LiveConnection } from './connection-registry';
import { type FrameLimits, type FrameViolation, guardSocket } from './frame-guard';
import type { Invoker } from './handlers';
import { errorText, type LocalLog } from './log';
import type { RouteSelector } from './route-selection';
import { messageEvent, type WsStage } from './ws-events';

/**
 * One open WebSocket, from the upgrade to its close: the frame limits, the idle timeout and the maximum
 * lifetime, route selection and dispatch of every text frame, route responses back to the client.
 * Resolves, once the socket has closed, with what `$disconnect` is to report.
 *
 * Frames are dispatched concurrently, as API Gateway invokes a new integration per frame without waiting
 * for the previous one: replies can come back in another order than their frames went out, so a client
 * that needs order waits for each reply.
 */
export interface SessionDeps {
  invoke: Invoker['invoke'];
  stage: WsStage;
  log: LocalLog;
  selectRoute: RouteSelector;
  limits: FrameLimits & { idleTimeoutMs: number; maxLifetimeMs: number };
}

/** How long a client gets to answer our close frame before its socket is dropped. */
const CLOSE_HANDSHAKE_MS = 2_000;

const violationCloses: Record<FrameViolation, CloseInfo> = {
  'frame-too-big': closes.frameTooBig,
  'message-too-big': closes.messageTooBig,
  binary: closes.binary,
};

export function openSession(
  deps: SessionDeps,
  connection: LiveConnection,
  ws: WebSocket,
  socket: Duplex,
): Promise<CloseInfo> {
  const { log, limits } = deps;
  let closing: CloseInfo | undefined;
  let received = 0;
  const idle = setTimeout(() => closeWith(closes.idle), limits.idleTimeoutMs).unref();
  const lifetime = setTimeout(() => closeWith(closes.lifetime), limits.maxLifetimeMs).unref();

  const closeWith = (close: CloseInfo) => {
    if (closing) return;
    closing = close;
    clearTimeout(idle);
    clearTimeout(lifetime);
    log.debug(`ws ${connection.id} closing ${close.code} ${close.reason}`);
    ws.close(close.code, close.reason);
    setTimeout(() => ws.terminate(), CLOSE_HANDSHAKE_MS).unref();
  };
  const guard = guardSocket(socket, limits, (violation) => closeWith(violationCloses[violation]));

  const reply = (text: string) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(text);
  };

  connection.socket = {
    // A socket in its closing handshake takes no more posts: to the Management API it is gone.
    get open() {
      return ws.readyState === WebSocket.OPEN;
    },
    get bufferedBytes() {
      return ws.bufferedAmount;
    },
    // API Gateway delivers posted data as a text frame; bytes that are not UTF-8 cannot be text.
    send: (data) => ws.send(data, { binary: !isUtf8(data) }),
    close: closeWith,
  };

  ws.on('message', (data: RawData, isBinary: boolean) => {
    received++;
    // Messages completed before an oversized or binary frame still count; nothing after it does.
    if (guard.violation ? received > guard.messagesBefore : closing) return;
    if (isBinary) return closeWith(closes.binary);
    idle.refresh();
    connection.lastActiveAt = Date.now();
    void dispatch(toText(data));
  });

  ws.on('error', (error: Error & { code?: string }) => {
    // A client that breaks the protocol: ws has closed with its own code; $disconnect reports that code.
    closing ??= closeForWsError(error.code);
    log.debug(`ws ${connection.id} error: ${errorText(error)}`);
  });

  const closed = new Promise<CloseInfo>((resolve) => {
    ws.on('close', (code: number, reason: Buffer) => {
      clearTimeout(idle);
      clearTimeout(lifetime);
      connection.socket = undefined;
      resolve(closing ?? clientClose(code, reason.toString('utf8')));
    });
  });
  return closed;

  async function dispatch(body: string): Promise<void> {
    const route = deps.selectRoute(body);
    const event = messageEvent(deps.stage, connection, route.routeKey, body);
    try {
      const result = await deps.invoke(route.lambda, event);
      const responseBody = (result as { body?: unknown } | null | undefined)?.body;
      if (route.returnResponse && typeof responseBody === 'string') reply(responseBody);
    } catch (error) {
      log.error(`ws ${connection.id} ${route.routeKey} failed: ${errorText(error)}`);
      reply(
        JSON.stringify({
          message: 'Internal server error',
          connectionId: connection.id,
          requestId: event.requestContext.requestId,
        }),
      );
    }
  }
}

/** `ws` hands over a Buffer (the default binaryType); the other shapes of RawData are covered anyway. */
function toText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return (Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');
}
