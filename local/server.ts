import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { sendJson } from './http-util';

/**
 * The one HTTP server of the local stack (HTTP API, WebSocket API, Management API, console, issuer, all
 * on one port). It listens before the app is built, because the app's configuration needs the port;
 * what arrives before `mount` (a client quicker than the stack's start: the handlers' modules load, the
 * Lambda workers start) waits for it, up to MOUNT_WAIT_MS, then gets 503 (a WebSocket handshake, its socket
 * closed).
 */
const MOUNT_WAIT_MS = 60_000;

export interface LocalApp {
  request(req: IncomingMessage, res: ServerResponse): Promise<void>;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
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
  // A malformed request must not reach the app, nor take the server down.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      fail(
        error.code === 'EADDRINUSE'
          ? new Error(`Port ${port} on ${host} is in use: stop what runs there, or pass --port (or PORT)`)
          : error,
      ),
    );
    server.listen(port, host, () => ok());
  });

  return {
    server,
    port: (server.address() as AddressInfo).port,
    mount(a) {
      app = a;
      settle(a);
    },
    close(graceMs) {
      settle(null);
      return new Promise((ok) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(force);
          ok();
        });
        server.closeIdleConnections();
      });
    },
  };
}
