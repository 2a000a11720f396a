import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { Http1Pool, type Http1Request, ResponseParser } from '../../../shared/adapters/aws/http1';
import { takeRequests } from '../../support/http-requests';

interface Received {
  head: string;
  body: string;
  /** The socket it came on: which one, counted from 1. */
  socket: number;
}

/**
 * A loopback TCP server that reads HTTP/1.1 requests (head and content-length body) and lets `answer`
 * write whatever bytes it likes back: the shapes a real server may send, and the broken ones.
 */
async function rawServer(
  answer: (socket: net.Socket, req: Received) => void,
  options: { tls?: tls.TlsOptions } = {},
) {
  const received: Received[] = [];
  let sockets = 0;
  const onSocket = (socket: net.Socket) => {
    const n = ++sockets;
    let buffer: Buffer = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      const { requests, rest } = takeRequests(Buffer.concat([buffer, chunk]));
      buffer = rest;
      for (const { head, body } of requests) {
        const req = { head, body, socket: n };
        received.push(req);
        answer(socket, req);
      }
    });
  };
  const server = options.tls ? tls.createServer(options.tls, onSocket) : net.createServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  return { received, port, url: new URL(`${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`) };
}

const servers: net.Server[] = [];
const pools: Http1Pool[] = [];
afterEach(() => {
  for (const p of pools.splice(0)) p.destroy();
  for (const s of servers.splice(0)) s.close();
});

function pool(url: URL, maxSockets = 4, extra: Partial<ConstructorParameters<typeof Http1Pool>[0]> = {}) {
  const p = new Http1Pool({ url, maxSockets, ...extra });
  pools.push(p);
  return p;
}

const get = (path = '/'): Http1Request => ({ method: 'GET', path, headers: {} });
const ok = (socket: net.Socket, body = 'ok', extra = '') =>
  socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`);

/** Writes `text` a byte at a time, each on its own turn of the event loop: every boundary is a chunk's. */
async function dribble(socket: net.Socket, text: string) {
  for (const byte of Buffer.from(text)) {
    socket.write(Buffer.of(byte));
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe('Http1Pool against node:http', () => {
  it('keeps sockets alive: sequential requests share one, concurrent ones at most maxSockets, answers in order', async () => {
    const sockets = new Set<unknown>();
    const server = http.createServer((req, res) => {
      sockets.add(req.socket);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.setHeader('x-echo', `${req.method} ${req.url}`);
        res.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const p = pool(url, 2);
    for (let i = 0; i < 10; i++) {
      const res = await p.request({ method: 'POST', path: `/n/${i}?q=1`, headers: {}, body: `body ${i}` });
      expect(res.status).toBe(200);
      expect(res.headers['x-echo']).toBe(`POST /n/${i}?q=1`);
      expect(res.body.toString()).toBe(`body ${i}`);
    }
    expect(sockets.size).toBe(1);
    const bodies = Array.from({ length: 30 }, (_, i) => `é ${i} ${'x'.repeat(i * 1000)}`);
    const answers = await Promise.all(
      bodies.map((body) => p.request({ method: 'PUT', path: '/', headers: {}, body: Buffer.from(body) })),
    );
    expect(answers.map((r) => r.body.toString())).toEqual(bodies);
    expect(sockets.size).toBeLessThanOrEqual(2);
    expect(p.sockets).toBeLessThanOrEqual(2);
  });
});

describe('Http1Pool: answer shapes', () => {
  it('reads content-length, chunked and to-the-close bodies cut at every byte', async () => {
    const { url } = await rawServer((socket, req) => {
      if (req.head.startsWith('GET /length'))
        void dribble(socket, 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nx-a: 2\r\n\r\nhello');
      else if (req.head.startsWith('GET /chunked'))
        void dribble(
          socket,
          'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n',
        );
      else
        void dribble(socket, 'HTTP/1.1 500 Oops\r\ncontent-type: text/plain\r\n\r\nread to the end').then(
          () => socket.end(),
        );
    });
    const p = pool(url, 1);
    const length = await p.request(get('/length'));
    expect(length).toMatchObject({ status: 200, headers: { 'content-length': '5', 'x-a': '1, 2' } });
    expect(length.body.toString()).toBe('hello');
    const chunked = await p.request(get('/chunked'));
    expect(chunked.body.toString()).toBe('abc0123456789');
    expect(p.sockets).toBe(1);
    const toClose = await p.request(get('/close'));
    expect(toClose.status).toBe(500);
    expect(toClose.body.toString()).toBe('read to the end');
  });

  it('skips 100 Continue, reads no body after HEAD or 204, and honours connection: close', async () => {
    const { url, received } = await rawServer((socket, req) => {
      if (req.head.startsWith('HEAD')) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 99\r\n\r\n');
      else if (req.head.startsWith('DELETE')) socket.write('HTTP/1.1 204 No Content\r\n\r\n');
      else if (req.head.startsWith('GET /continue'))
        socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nhi');
      else ok(socket, 'bye', 'connection: close\r\n');
    });
    const p = pool(url, 1);
    expect((await p.request(get('/continue'))).status).toBe(201);
    expect(await p.request({ method: 'HEAD', path: '/', headers: {} })).toMatchObject({ status: 200 });
    expect((await p.request({ method: 'DELETE', path: '/', headers: {} })).body.length).toBe(0);
    expect(received.map((r) => r.socket)).toEqual([1, 1, 1]);
    expect((await p.request(get('/close'))).body.toString()).toBe('bye');
    expect((await p.request(get('/continue'))).status).toBe(201);
    expect(received.map((r) => r.socket)).toEqual([1, 1, 1, 1, 2]);
  });

  it('sends the host, the headers as given and the body length', async () => {
    const { url, received } = await rawServer((socket) => ok(socket));
    const p = pool(url);
    await p.request({
      method: 'POST',
      path: '/a%2Fb',
      headers: { 'X-Amz-Date': '20261203T000000Z' },
      body: 'ü',
    });
    const [req] = received;
    expect(req?.head.split('\r\n')).toEqual([
      'POST /a%2Fb HTTP/1.1',
      'X-Amz-Date: 20261203T000000Z',
      `host: ${url.host}`,
      'content-length: 2',
    ]);
    expect(req?.body).toBe('ü');
  });

  it('answers over TLS', async () => {
    const psk = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const ciphers = 'PSK-AES128-GCM-SHA256';
    const { url, received } = await rawServer((socket, req) => ok(socket, `tls ${req.body}`), {
      tls: { pskCallback: (_s, id) => (id === 'unit' ? psk : null), ciphers, maxVersion: 'TLSv1.2' },
    });
    const p = pool(url, 1, {
      tls: {
        pskCallback: () => ({ psk, identity: 'unit' }),
        ciphers,
        maxVersion: 'TLSv1.2',
        checkServerIdentity: () => undefined,
      },
    });
    for (const n of [1, 2]) {
      const res = await p.request({ method: 'POST', path: '/', headers: {}, body: String(n) });
      expect(res.body.toString()).toBe(`tls ${n}`);
    }
    expect(received.map((r) => r.socket)).toEqual([1, 1]);
  });
});

describe('Http1Pool: failures', () => {
  it('a socket that ends before its answer is complete fails with ECONNRESET; the next request opens another', async () => {
    const { url, received } = await rawServer((socket, req) => {
      if (req.head.startsWith('GET /cut')) {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhal');
        socket.destroy();
      } else ok(socket);
    });
    const p = pool(url, 1);
    await expect(p.request(get('/cut'))).rejects.toMatchObject({
      message: 'socket hang up',
      code: 'ECONNRESET',
    });
    expect((await p.request(get('/'))).status).toBe(200);
    expect(received.map((r) => r.socket)).toEqual([1, 2]);
  });

  it('does not reuse a socket whose answer came before its request was all written', async () => {
    const received: number[] = [];
    let sockets = 0;
    const server = net.createServer((socket) => {
      const n = ++sockets;
      socket.on('error', () => {});
      socket.once('data', () => {
        received.push(n);
        // Answers at the first bytes and reads no more: the rest of the body stays in the client's buffer.
        socket.pause();
        socket.write('HTTP/1.1 413 Payload Too Large\r\ncontent-length: 0\r\n\r\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    const p = pool(new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), 1);
    const big = Buffer.alloc(8 * 1024 * 1024, 120);
    expect((await p.request({ method: 'POST', path: '/', headers: {}, body: big })).status).toBe(413);
    expect((await p.request({ method: 'POST', path: '/', headers: {}, body: 'small' })).status).toBe(413);
    expect(received).toEqual([1, 2]);
  });

  it('a kept-alive socket the server closed while idle is not used again', async () => {
    const { url, received } = await rawServer((socket) => {
      ok(socket);
      setTimeout(() => socket.end(), 5);
    });
    const p = pool(url, 1);
    await p.request(get('/'));
    await new Promise((r) => setTimeout(r, 50));
    expect(p.sockets).toBe(0);
    expect((await p.request(get('/'))).status).toBe(200);
    expect(received.map((r) => r.socket)).toEqual([1, 2]);
  });

  it('a malformed answer fails the request and its socket', async () => {
    const { url } = await rawServer((socket, req) => {
      if (req.head.startsWith('GET /bad')) socket.write('SMTP ready\r\n\r\n');
      else if (req.head.startsWith('GET /length'))
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n');
      else socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n');
    });
    const p = pool(url, 1);
    await expect(p.request(get('/bad'))).rejects.toThrow(/HPE_INVALID_CONSTANT/);
    await expect(p.request(get('/length'))).rejects.toThrow(/HPE_INVALID_CONTENT_LENGTH/);
    await expect(p.request(get('/chunk'))).rejects.toThrow(/HPE_INVALID_CHUNK_SIZE/);
    expect(p.sockets).toBe(0);
  });

  it('refuses a header or target that would start another line, and sends nothing', async () => {
    const { url, received } = await rawServer((socket) => ok(socket));
    const p = pool(url, 1);
    await expect(
      p.request({ method: 'GET', path: '/', headers: { 'x-a': 'v\r\nx-b: injected' } }),
    ).rejects.toThrow(/a bad header/);
    await expect(p.request({ method: 'GET', path: '/a b', headers: {} })).rejects.toThrow(
      /a bad request target/,
    );
    await expect(p.request({ method: 'GET', path: '/', headers: { 'bad name': 'v' } })).rejects.toThrow(
      /a bad header/,
    );
    expect((await p.request(get('/'))).status).toBe(200);
    expect(received).toHaveLength(1);
  });

  it('times out after timeoutMs of silence with the given message, and closes the socket', async () => {
    const { url } = await rawServer(() => {});
    const p = pool(url, 1);
    const t0 = performance.now();
    await expect(
      p.request({ ...get(), timeoutMs: 50, timeoutMessage: 'ETIMEDOUT: post to connection timed out' }),
    ).rejects.toThrow('ETIMEDOUT: post to connection timed out');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
    expect(p.sockets).toBe(0);
  });

  it('an abort fails the request with the signal’s reason, in flight or waiting for a socket', async () => {
    const { url, received } = await rawServer(() => {});
    const p = pool(url, 1);
    const inFlight = new AbortController();
    const waiting = new AbortController();
    const first = p.request({ ...get('/1'), signal: inFlight.signal });
    const second = p.request({ ...get('/2'), signal: waiting.signal });
    const third = p.request({ ...get('/3'), timeoutMs: 100 });
    await new Promise((r) => setTimeout(r, 20));
    waiting.abort(new Error('deadline'));
    await expect(second).rejects.toThrow('deadline');
    inFlight.abort(new Error('stop'));
    await expect(first).rejects.toThrow('stop');
    await expect(third).rejects.toThrow(/TimeoutError/);
    expect(received.map((r) => r.head.split(' ')[1])).toEqual(['/1', '/3']);
    await expect(p.request({ ...get(), signal: AbortSignal.abort(new Error('already')) })).rejects.toThrow(
      'already',
    );
  });

  it('destroy fails what is in flight and waiting', async () => {
    const { url } = await rawServer(() => {});
    const p = pool(url, 1);
    const a = p.request(get('/1'));
    const b = p.request(get('/2'));
    await new Promise((r) => setTimeout(r, 20));
    p.destroy();
    await expect(a).rejects.toThrow(/destroyed/);
    await expect(b).rejects.toThrow(/destroyed/);
    await expect(p.request(get())).rejects.toThrow(/destroyed/);
  });

  it('refuses a connection it cannot open with the socket error', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((r) => closed.close(r));
    const p = pool(new URL(`http://127.0.0.1:${port}`), 1);
    await expect(p.request(get())).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(p.sockets).toBe(0);
  });
});

describe('ResponseParser', () => {
  it('keeps the bytes after the answer (without pipelining the socket is then not reused)', () => {
    const parser = new ResponseParser();
    parser.reset(false);
    const res = parser.feed(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 200'));
    expect(res?.body.toString()).toBe('ok');
    expect(parser.rest.toString()).toBe('HTTP/1.1 200');
  });

  it('refuses a head larger than 64 KB', () => {
    const parser = new ResponseParser();
    parser.reset(false);
    expect(() => parser.feed(Buffer.from(`HTTP/1.1 200 OK\r\nx: ${'a'.repeat(70_000)}`))).toThrow(
      /HPE_HEADER_OVERFLOW/,
    );
  });

  it('an HTTP/1.0 answer keeps the socket only when it says keep-alive', () => {
    const parser = new ResponseParser();
    parser.reset(false);
    parser.feed(Buffer.from('HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n'));
    expect(parser.keepAlive).toBe(false);
    parser.reset(false);
    parser.feed(Buffer.from('HTTP/1.0 200 OK\r\nconnection: Keep-Alive\r\ncontent-length: 0\r\n\r\n'));
    expect(parser.keepAlive).toBe(true);
  });
});
