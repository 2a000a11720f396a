import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnectionsAnswer, ConnectionsCall, FrameBatch } from './connections-api';
import { isConnectionsCall, serveConnectionsWire, type WireConnection } from './connections-wire';
import { sendJson } from './http-util';
import { freePort } from './ports';

/**
 * The one HTTP server of the local stack (HTTP API, WebSocket API, Management API, console, issuer, all
 * on one port). The stack learns its port first (`reservePort`: a free one for 0, or an error now when the
 * one asked for is taken), builds the app with it, and listens once it is ready, mounting the app at once:
 * a client that waits for the port to open (a script, a benchmark, `wait-on`) then finds the stack ready.
 * A server that listens before `mount` (the SQS emulation's, whose URL the handlers' configuration needs)
 * holds what arrives first until it is mounted, up to MOUNT_WAIT_MS, then answers 503 (a WebSocket
 * handshake, its socket closed).
 *
 * The port is a `net` server in front of `node:http`: a connection whose first bytes are a Management API
 * call is read by the emulator's own reader of pipelined calls (connections-wire.ts), every other one goes
 * to `node:http` as it came, and so does a Management API connection from its first call of another shape.
 */
const MOUNT_WAIT_MS = 60_000;

export interface LocalApp {
  request(req: IncomingMessage, res: ServerResponse): Promise<void>;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** The Management API, when this port serves it: its calls are read off the wire (connections-wire.ts). */
  connections?: {
    answer(call: ConnectionsCall, batch: FrameBatch): ConnectionsAnswer;
    batch(): FrameBatch;
    /** A fault answering a call (a 500 went to its client). */
    onError(error: unknown): void;
  };
}

export interface LocalServer {
  server: Server;
  port: number;
  mount(app: LocalApp): void;
  /** Stops accepting, lets requests under way finish (for at most `graceMs`), then closes. */
  close(graceMs: number): Promise<void>;
}

export async function listen(port: number, host: string): Promise<LocalServer> {
  let app: LocalApp | undefined;
  // Settled by `mount` with the app, or by `close` with null.
  let settle: (a: LocalApp | null) => void = () => {};
  const mounting = new Promise<LocalApp | null>((ok) => {
    settle = ok;
  });
  /** The app once mounted; null when it was not within MOUNT_WAIT_MS, or the server closed first. */
  const whenMounted = async (): Promise<LocalApp | null> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((ok) => {
      timer = setTimeout(() => ok(null), MOUNT_WAIT_MS);
    });
    const a = await Promise.race([mounting, timeout]);
    clearTimeout(timer);
    return a;
  };
  const server = createServer((req, res) => {
    if (app) return void app.request(req, res);
    void whenMounted().then((a) =>
      a ? a.request(req, res) : sendJson(res, 503, { message: 'Service Unavailable' }),
    );
  });
  server.on('upgrade', (req, socket, head) => {
    if (app) return app.upgrade(req, socket, head);
    void whenMounted().then((a) => (a ? a.upgrade(req, socket, head) : socket.destroy()));
  });
  /** The connections the wire reader serves, until it hands them to `node:http` or they close. */
  const wired = new Map<Socket, WireConnection>();
  const handOff = (socket: Socket, unread: Buffer) => {
    wired.delete(socket);
    socket.pause();
    if (unread.length > 0) socket.unshift(unread);
    server.emit('connection', socket);
    process.nextTick(() => socket.resume());
  };
  /** Connections that have sent nothing yet. */
  const sniffing = new Set<Socket>();
  /** Every open connection, whoever serves it. */
  const sockets = new Set<Socket>();
  const front = createNetServer((socket) => {
    sockets.add(socket);
    sniffing.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      sniffing.delete(socket);
    });
    let first: Buffer = Buffer.alloc(0);
    const sniff = (chunk: Buffer) => {
      sniffing.delete(socket);
      first = first.length === 0 ? chunk : Buffer.concat([first, chunk]);
      const connections = app?.connections;
      const wire = connections ? isConnectionsCall(first) : false;
      if (wire === null) return; // too few bytes to tell
      socket.off('data', sniff);
      socket.off('error', sniffError);
      if (!wire || !connections) return handOff(socket, first);
      const { answer, batch, onError } = connections;
      wired.set(
        socket,
        serveConnectionsWire(socket, first, {
          answer,
          batch,
          handOff,
          closed: (s) => wired.delete(s),
          onError,
        }),
      );
    };
    const sniffError = () => socket.destroy();
    socket.on('data', sniff);
    socket.on('error', sniffError);
  });
  // `node:http` listens through the front: its 'listening' starts its tracking of the connections it is
  // given (what closeIdleConnections closes, and the headers and request timeouts).
  front.once('listening', () => server.emit('listening'));
  // A malformed request must not reach the app, nor take the server down.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await listenOn(front, port, host);

  return {
    server,
    port: (front.address() as AddressInfo).port,
    mount(a) {
      app = a;
      settle(a);
    },
    close(graceMs) {
      settle(null);
      return new Promise((ok) => {
        const force = setTimeout(() => {
          for (const socket of sockets) socket.destroy();
        }, graceMs);
        // Done once every connection is closed, those `node:http` serves and those the wire reader does.
        front.close(() => {
          clearTimeout(force);
          ok();
        });
        // Closes node:http's idle connections and stops its tracking (it never listened itself: the error
        // that says so is expected).
        server.close(() => {});
        for (const connection of wired.values()) connection.closeIfIdle();
        for (const socket of sniffing) socket.destroy();
      });
    },
  };
}

/**
 * The port `listen(port, host)` will get, checked now: `port` itself when it is free (else the error a
 * listen would give), or for 0 a free one outside the OS's ephemeral range (ports.ts), which no outgoing
 * connection of the start can take meanwhile. Nothing listens on it meanwhile: a process that listens on
 * it in between makes the listen fail with the same error.
 */
export async function reservePort(port: number, host: string): Promise<number> {
  if (port === 0) return freePort(host);
  const probe = createNetServer();
  await listenOn(probe, port, host);
  await new Promise<void>((ok) => probe.close(() => ok()));
  return port;
}

function listenOn(server: NetServer, port: number, host: string): Promise<void> {
  return new Promise<void>((ok, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      fail(
        error.code === 'EADDRINUSE'
          ? new Error(`Port ${port} on ${host} is in use: stop what runs there, or pass --port (or PORT)`)
          : error,
      ),
    );
    server.listen(port, host, () => ok());
  });
}
