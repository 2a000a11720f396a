import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { ConnectionRegistry, type SocketControl } from '../../../local/connection-registry';
import {
  FrameBatch as Batch,
  type ConnectionsAnswer,
  type ConnectionsCall,
  type FrameBatch,
} from '../../../local/connections-api';
import { type LocalServer, listen } from '../../../local/server';

/**
 * The Management API's calls are read off the stack's port by a reader of its own (local/connections-wire.ts):
 * the calls of one chunk answered in one write, anything else handed to `node:http` from the request where it
 * starts. Here with a real server on loopback and raw sockets, so that the bytes and the writes are seen.
 */
let server: LocalServer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server?.close(1_000);
  server = undefined;
});

interface Seen {
  calls: ConnectionsCall[];
  /** What happened, in order: `answer <path>` as a call is answered, `send <body>` as its frame is sent. */
  log: string[];
  /** Requests `node:http` served: method and URL. */
  http: string[];
  errors: unknown[];
}

async function start(answer?: (call: ConnectionsCall) => ConnectionsAnswer): Promise<Seen> {
  const seen: Seen = { calls: [], log: [], http: [], errors: [] };
  const socket: SocketControl = {
    open: true,
    bufferedBytes: 0,
    send: (data) => seen.log.push(`send ${data.toString()}`),
    close: () => {},
  };
  const wss = new WebSocketServer({ noServer: true });
  server = await listen(0, '127.0.0.1');
  server.mount({
    async request(req, res) {
      let size = 0;
      for await (const chunk of req) size += (chunk as Buffer).length;
      seen.http.push(`${req.method} ${req.url} ${size}`);
      res.end(`http: ${req.url}`);
    },
    upgrade(req, socket, head) {
      wss.handleUpgrade(req, socket, head, (client) => client.send('welcome'));
    },
    connections: {
      answer(call, batch: FrameBatch) {
        seen.calls.push({ ...call, body: Buffer.from(call.body) });
        seen.log.push(`answer ${call.rawPath}`);
        batch.add(socket, call.body);
        if (answer) return answer(call);
        return { status: 200, headers: { 'x-amzn-RequestId': `id-${seen.calls.length}` }, body: '' };
      },
      batch: () => new Batch(new ConnectionRegistry()),
      onError: (error) => seen.errors.push(error),
    },
  });
  return seen;
}

const post = (id: string, body: string, extra = '') =>
  `POST /local/@connections/${id} HTTP/1.1\r\nhost: x\r\nauthorization: AWS4 sig\r\n${extra}` +
  `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/** A raw connection: what it reads, chunk by chunk. */
async function open(): Promise<{
  socket: Socket;
  chunks: string[];
  text: () => string;
  ended: Promise<void>;
}> {
  const socket = connect(server!.port, '127.0.0.1');
  sockets.push(socket);
  const chunks: string[] = [];
  const ended = new Promise<void>((ok) => socket.once('close', () => ok()));
  socket.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  await new Promise((ok) => socket.once('connect', ok));
  return { socket, chunks, text: () => chunks.join(''), ended };
}

const until = async (check: () => boolean, ms = 2_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

const answers = (text: string) => text.split('HTTP/1.1 ').length - 1;

describe("the Management API's wire reader", () => {
  it('answers the pipelined calls of one chunk, in order, in one write', async () => {
    const seen = await start();
    const c = await open();
    c.socket.write(post('a%3D', '{"n":1}') + post('b', 'two') + post('c', ''));
    await until(() => answers(c.text()) === 3);
    expect(c.chunks).toHaveLength(1);
    expect(seen.calls.map((k) => [k.method, k.url, k.rawPath, Buffer.from(k.body).toString()])).toEqual([
      ['POST', '/local/@connections/a%3D', '/local/@connections/a%3D', '{"n":1}'],
      ['POST', '/local/@connections/b', '/local/@connections/b', 'two'],
      ['POST', '/local/@connections/c', '/local/@connections/c', ''],
    ]);
    expect(seen.calls[0]!.rawHeaders).toEqual([
      'host',
      'x',
      'authorization',
      'AWS4 sig',
      'content-length',
      '7',
    ]);
    const text = c.text();
    expect(text.match(/x-amzn-RequestId: id-\d/g)).toEqual([
      'x-amzn-RequestId: id-1',
      'x-amzn-RequestId: id-2',
      'x-amzn-RequestId: id-3',
    ]);
    expect(text).toMatch(
      /^HTTP\/1\.1 200 OK\r\n[\s\S]*content-length: 0\r\n[\s\S]*connection: keep-alive\r\n/,
    );
    expect(seen.http).toEqual([]);
    // The frames go out together once the chunk's calls are all answered, in the order posted.
    expect(seen.log).toEqual([
      'answer /local/@connections/a%3D',
      'answer /local/@connections/b',
      'answer /local/@connections/c',
      'send {"n":1}',
      'send two',
      'send ',
    ]);
  });

  it('reads a call that comes a byte at a time, with its query kept for the signature', async () => {
    const seen = await start((call) => ({
      status: 200,
      headers: { 'content-type': 'application/json', 'content-length': '11' },
      body: `{"id":"${call.rawPath.slice(-3)}"}`,
    }));
    const c = await open();
    const bytes = Buffer.from(post('xyz?x=1', 'hello'));
    for (const byte of bytes) {
      c.socket.write(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    await until(() => c.text().endsWith('{"id":"xyz"}'));
    expect(seen.calls).toHaveLength(1);
    expect(seen.calls[0]!.url).toBe('/local/@connections/xyz?x=1');
    expect(seen.calls[0]!.rawPath).toBe('/local/@connections/xyz');
    expect(Buffer.from(seen.calls[0]!.body).toString()).toBe('hello');
  });

  it('hands the connection to node:http at the first request of another kind, the rest with it', async () => {
    const seen = await start();
    const c = await open();
    c.socket.write(
      post('a', 'one') +
        'GET /other HTTP/1.1\r\nhost: x\r\n\r\n' +
        post('b', 'two') +
        'POST /local/@connections/c HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    );
    await until(() => answers(c.text()) === 4);
    expect(seen.calls.map((k) => k.rawPath)).toEqual(['/local/@connections/a']);
    expect(seen.http).toEqual([
      'GET /other 0',
      'POST /local/@connections/b 3',
      'POST /local/@connections/c 3',
    ]);
    expect(c.text()).toContain('http: /other');
  });

  it('leaves a body over the limit, a chunked body and an HTTP/1.0 call to node:http', async () => {
    const seen = await start();
    const big = 'x'.repeat(200 * 1024);
    for (const request of [
      post('big', big),
      'POST /local/@connections/c HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n',
      'POST /local/@connections/old HTTP/1.0\r\nhost: x\r\ncontent-length: 2\r\n\r\nhi',
    ]) {
      const c = await open();
      c.socket.write(request);
      await until(() => answers(c.text()) === 1);
    }
    expect(seen.calls).toEqual([]);
    expect(seen.http).toEqual([
      `POST /local/@connections/big ${big.length}`,
      'POST /local/@connections/c 0',
      'POST /local/@connections/old 2',
    ]);
  });

  it('leaves every other connection to node:http: requests and WebSocket handshakes', async () => {
    const seen = await start();
    const c = await open();
    c.socket.write('GET /first HTTP/1.1\r\nhost: x\r\n\r\n');
    await until(() => answers(c.text()) === 1);
    c.socket.write(post('later', 'x'));
    await until(() => answers(c.text()) === 2);
    // Once node:http has the connection it keeps it: the Management API call is its too.
    expect(seen.http).toEqual(['GET /first 0', 'POST /local/@connections/later 1']);
    expect(seen.calls).toEqual([]);

    const ws = new WebSocket(`ws://127.0.0.1:${server!.port}/local`);
    expect(
      await new Promise((ok, fail) => ws.once('message', (d) => ok(d.toString())).once('error', fail)),
    ).toBe('welcome');
    ws.terminate();
  });

  it('closes after answering a call that asks to close', async () => {
    const seen = await start();
    const c = await open();
    c.socket.write(post('a', '1', 'connection: close\r\n') + post('b', '2'));
    await c.ended;
    expect(seen.calls.map((k) => k.rawPath)).toEqual(['/local/@connections/a']);
    expect(c.text()).toContain('connection: close\r\n');
    expect(answers(c.text())).toBe(1);
  });

  it('answers a fault of the stack with a 500, no stack trace, and closes the connection', async () => {
    const seen = await start(() => {
      throw new Error('boom at line 12');
    });
    const c = await open();
    c.socket.write(post('a', '1') + post('b', '2'));
    await c.ended;
    expect(c.text()).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\n/);
    expect(c.text()).toContain('{"message":"Internal Server Error"}');
    expect(c.text()).not.toContain('boom');
    expect(seen.errors).toHaveLength(1);
  });

  it('closes its idle connections when the server closes, and the server closes', async () => {
    await start();
    const c = await open();
    c.socket.write(post('a', '1'));
    await until(() => answers(c.text()) === 1);
    const s = server!;
    server = undefined;
    await s.close(5_000);
    await c.ended;
  });
});

describe('closing the port', () => {
  it("closes node:http's idle kept-alive connections at once, not at the grace period's end", async () => {
    await start();
    const c = await open();
    c.socket.write('GET /kept HTTP/1.1\r\nhost: x\r\n\r\n');
    await until(() => answers(c.text()) === 1);
    const s = server!;
    server = undefined;
    const t0 = Date.now();
    await s.close(10_000);
    await c.ended;
    expect(Date.now() - t0).toBeLessThan(2_000);
  });
});
