import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { type LocalServer, listen } from '../../../local/server';

/**
 * The stack's one server listens before its app is built (the app's configuration needs the port). A
 * client quicker than the start — a request or a WebSocket handshake before `mount` — waits for the app
 * instead of a reset socket (the fan-out bench found every handshake reset while the Lambda workers loaded).
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
