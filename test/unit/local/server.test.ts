import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { type LocalServer, listen, reservePort } from '../../../local/server';
import { holdPort } from '../../support/ports';

/**
 * A local server that listens before its app is built (the SQS emulation's, whose URL the handlers'
 * configuration needs): a client quicker than the start — a request or a WebSocket handshake before
 * `mount` — waits for the app instead of a reset socket. The stack's own port is opened only once the stack
 * is ready, on the port `reservePort` found.
 */
let server: LocalServer | undefined;
afterEach(async () => {
  await server?.close(0);
  server = undefined;
});

const get = (port: number, path: string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });

describe('the local server before its app is mounted', () => {
  it('holds a request and a WebSocket handshake until the app is there, then serves both', async () => {
    server = await listen(0, '127.0.0.1');
    const { port } = server;
    const answer = get(port, '/hello');
    const ws = new WebSocket(`ws://127.0.0.1:${port}/local`);
    const welcome = new Promise<string>((ok, fail) => {
      ws.once('message', (d) => ok(d.toString()));
      ws.once('error', fail);
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(ws.readyState).toBe(WebSocket.CONNECTING);

    const wss = new WebSocketServer({ noServer: true });
    server.mount({
      async request(req, res) {
        res.end(`app: ${req.url}`);
      },
      upgrade(req, socket, head) {
        wss.handleUpgrade(req, socket, head, (client) => client.send('welcome'));
      },
    });
    expect(await answer).toEqual({ status: 200, body: 'app: /hello' });
    expect(await welcome).toBe('welcome');
    ws.terminate();
    wss.close();
  });

  it('answers 503 to what is waiting when the server closes without an app', async () => {
    server = await listen(0, '127.0.0.1');
    const answer = get(server.port, '/early');
    await new Promise((r) => setTimeout(r, 100));
    const closing = server.close(1_000);
    server = undefined;
    expect(await answer).toEqual({ status: 503, body: '{"message":"Service Unavailable"}' });
    await closing;
  });
});

const refused = (port: number) =>
  new Promise<boolean>((ok) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      ok(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => ok(error.code === 'ECONNREFUSED'));
  });

describe('reservePort: the port known before the stack opens it', () => {
  it('finds a free port for 0 without listening on it, and a listen gets that port', async () => {
    const port = await reservePort(0, '127.0.0.1');
    expect(port).toBeGreaterThan(0);
    expect(await refused(port)).toBe(true);
    server = await listen(port, '127.0.0.1');
    expect(server.port).toBe(port);
    expect(await refused(port)).toBe(false);
  });

  it('says a taken port is in use, before anything starts', async () => {
    const { port, release } = await holdPort();
    try {
      await expect(reservePort(port, '127.0.0.1')).rejects.toThrow(
        `Port ${port} on 127.0.0.1 is in use: stop what runs there, or pass --port (or PORT)`,
      );
    } finally {
      await release();
    }
  });
});
