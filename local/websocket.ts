import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { ROUTE_SELECTION_EXPRESSION, type WebSocketRoute, webSocketRoutes } from '../shared/app/routes';
import { CloseCode, type CloseInfo, clientClose, closes } from './close-codes';
import type { ConnectionRegistry, LiveConnection } from './connection-registry';
import type { Invoker } from './handlers';
import { runHandshake } from './handshake';
import { WS_STAGE } from './ids';
import { WS_LIMITS } from './limits';
import { errorText, type LocalLog } from './log';
import { type RequestParts, requestParts } from './request-parts';
import { createRouteSelector } from './route-selection';
import { disconnectEvent, type WsStage } from './ws-events';
import { openSession } from './ws-session';

/**
 * The WebSocket API of the stage `/local`: upgrades, the `$connect` handshake, one session per open
 * socket, and `$disconnect` exactly once for every connection `$connect` accepted, whoever closed it:
 * `accept` follows one connection from its handshake to the end of its `$disconnect`.
 */
export interface WebSocketApiOptions {
  invoker: Invoker;
  registry: ConnectionRegistry;
  stage: WsStage;
  /** The server's port, for the X-Forwarded-Port header API Gateway adds. */
  port: number;
  log: LocalLog;
  idleTimeoutMs: number;
  maxLifetimeMs: number;
}

export interface WebSocketApi {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every socket (1001) and settles once each one's `$disconnect` has run. */
  close(): Promise<void>;
}

export function createWebSocketApi(options: WebSocketApiOptions): WebSocketApi {
  const { invoker, registry, stage, log } = options;
  const connectRoute = routeFor('$connect');
  const disconnectRoute = routeFor('$disconnect');
  const selectRoute = createRouteSelector(ROUTE_SELECTION_EXPRESSION, webSocketRoutes);
  const limits = {
    maxFrameBytes: WS_LIMITS.maxFrameBytes,
    maxMessageBytes: WS_LIMITS.maxMessageBytes,
    idleTimeoutMs: options.idleTimeoutMs,
    maxLifetimeMs: options.maxLifetimeMs,
  };

  // handleProtocols never picks one: the `headers` hook below writes what $connect returned, if anything.
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: WS_LIMITS.maxMessageBytes,
    handleProtocols: () => false,
  });
  const protocols = new WeakMap<IncomingMessage, string>();
  wss.on('headers', (headers, req) => {
    const protocol = protocols.get(req);
    if (protocol) headers.push(`Sec-WebSocket-Protocol: ${protocol}`);
  });

  /** Every connection from its handshake to the end of its `$disconnect`: stop() waits for them all. */
  const pending = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  let stopping = false;

  const disconnect = async (connection: LiveConnection, close: CloseInfo): Promise<void> => {
    log.debug(`ws ${connection.id} $disconnect ${close.code} ${close.reason}`);
    try {
      await invoker.invoke(disconnectRoute.lambda, disconnectEvent(stage, connection, close));
    } catch (error) {
      log.warn(`ws ${connection.id} $disconnect failed: ${errorText(error)}`);
    } finally {
      registry.delete(connection.id);
    }
  };

  const sessionDeps = { invoke: invoker.invoke, stage, log, selectRoute, limits };

  async function accept(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    request: RequestParts,
  ): Promise<void> {
    const connection = registry.create(
      { sourceIp: request.sourceIp, ...(request.userAgent ? { userAgent: request.userAgent } : {}) },
      Date.now(),
    );
    const outcome = await runHandshake(
      { invoke: invoker.invoke, stage, log, route: connectRoute },
      connection,
      { request, port: options.port },
    );
    if (!outcome.ok) {
      registry.delete(connection.id);
      log.info(`ws refused ${outcome.status}: ${outcome.reason}`);
      return refuse(socket, outcome.status);
    }
    // $connect stored the connection: from here on, $disconnect runs once whatever happens.
    if (stopping || socket.destroyed || !socket.writable) {
      socket.destroy();
      return disconnect(connection, clientClose(CloseCode.abnormal, ''));
    }
    if (outcome.protocol) protocols.set(req, outcome.protocol);
    let closed: Promise<CloseInfo> | undefined;
    wss.handleUpgrade(req, socket, head, (ws) => {
      socket.removeListener('error', ignore);
      log.debug(`ws ${connection.id} open`);
      closed = openSession(sessionDeps, connection, ws, socket);
    });
    await disconnect(connection, closed ? await closed : clientClose(CloseCode.abnormal, ''));
  }

  return {
    handleUpgrade(req, socket, head) {
      // A client that resets mid-handshake must not take the server down.
      socket.on('error', ignore);
      const request = requestParts(req);
      const { rawPath } = request;
      if (rawPath !== `/${WS_STAGE}` && rawPath !== `/${WS_STAGE}/`) return refuse(socket, 403);
      const problem = upgradeProblem(req);
      if (problem) return refuse(socket, 400, problem);
      if (stopping) return refuse(socket, 503);
      track(
        accept(req, socket, head, request).catch((error: unknown) => {
          log.error(`ws connection failed: ${errorText(error)}`);
          socket.destroy();
        }),
      );
    },

    async close() {
      stopping = true;
      for (const connection of registry.all()) connection.socket?.close(closes.shutdown);
      while (pending.size > 0) await Promise.allSettled([...pending]);
      wss.close();
    },
  };
}

export function routeFor(routeKey: string): WebSocketRoute {
  const route = webSocketRoutes.find((r) => r.routeKey === routeKey);
  if (!route) throw new Error(`The route table has no ${routeKey} WebSocket route`);
  return route;
}

const ignore = () => {};

/** The checks `ws` makes before upgrading, made before any Lambda runs, so a bad request invokes none. */
function upgradeProblem(req: IncomingMessage): string | null {
  if (req.method !== 'GET') return 'Invalid HTTP method';
  if (req.headers.upgrade?.toLowerCase() !== 'websocket') return 'Invalid Upgrade header';
  const key = req.headers['sec-websocket-key'];
  if (!key || !/^[+/0-9A-Za-z]{22}==$/.test(key)) return 'Missing or invalid Sec-WebSocket-Key header';
  if (req.headers['sec-websocket-version'] !== '13') return 'Missing or invalid Sec-WebSocket-Version header';
  const offered = req.headers['sec-websocket-protocol'];
  if (
    offered !== undefined &&
    !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+(\s*,\s*[!#$%&'*+\-.^_`|~0-9A-Za-z]+)*$/.test(offered)
  ) {
    return 'Invalid Sec-WebSocket-Protocol header';
  }
  return null;
}

/** API Gateway's refusals are JSON: {"message":"Forbidden"}. */
function refuse(socket: Duplex, status: number, detail?: string): void {
  const text = STATUS_CODES[status] ?? 'Error';
  const body = JSON.stringify({ message: detail ?? text });
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
