import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Http1Pool,
  type Http1Request,
  type Http1Response,
  ResponseParser,
} from '../../../shared/adapters/aws/http1';
import { takeRequests } from '../../support/http-requests';

interface Received {
  method: string;
  path: string;
  body: string;
  /** The socket it came on, counted from 1. */
  socket: number;
  /** The 'data' event of its socket that completed it, counted from 1. */
  chunk: number;
}

/**
 * A loopback TCP server that reads pipelined HTTP/1.1 requests (head and content-length body) and hands
 * `answer` those each 'data' event completed, at once: what arrived in one read, to answer in one write (or
 * any other way). `outstanding` counts, per socket, the requests received and not yet marked answered.
 */
async function pipelineServer(answer: (socket: net.Socket, reqs: Received[], n: number) => void) {
  const received: Received[] = [];
  /** Per socket (index: its number - 1): the requests each of its 'data' events completed. */
  const chunks: number[][] = [];
  const outstanding: number[] = [];
  const maxOutstanding: number[] = [];
  let sockets = 0;
  const server = net.createServer((socket) => {
    const n = ++sockets;
    chunks[n - 1] = [];
    outstanding[n - 1] = 0;
    maxOutstanding[n - 1] = 0;
    let buffer: Buffer = Buffer.alloc(0);
    let chunk = 0;
    socket.on('error', () => {});
    socket.on('data', (data: Buffer) => {
      chunk++;
      const { requests, rest } = takeRequests(Buffer.concat([buffer, data]));
      buffer = rest;
      const batch: Received[] = requests.map(({ head, body }) => {
        const [method = '', path = ''] = head.split(' ');
        return { method, path, body, socket: n, chunk };
      });
      if (batch.length === 0) return;
      chunks[n - 1]!.push(batch.length);
      received.push(...batch);
      outstanding[n - 1]! += batch.length;
      maxOutstanding[n - 1] = Math.max(maxOutstanding[n - 1]!, outstanding[n - 1]!);
      answer(socket, batch, n);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  return {
    received,
    chunks,
    maxOutstanding,
    /** Marks `count` requests of socket `n` answered. */
    answered: (n: number, count: number) => {
      outstanding[n - 1]! -= count;
    },
    sockets: () => sockets,
    url: new URL(`http://127.0.0.1:${port}`),
  };
}

const servers: net.Server[] = [];
const pools: Http1Pool[] = [];
afterEach(() => {
  for (const p of pools.splice(0)) p.destroy();
  for (const s of servers.splice(0)) s.close();
});

function pool(url: URL, maxSockets: number, pipeline?: number) {
  const p = new Http1Pool({ url, maxSockets, pipeline });
  pools.push(p);
  return p;
}

const get = (path = '/'): Http1Request => ({ method: 'GET', path, headers: {} });
const post = (path: string, body: string): Http1Request => ({ method: 'POST', path, headers: {}, body });
const answer = (body: string, extra = '') =>
  `HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
const hangUp = { message: 'socket hang up', code: 'ECONNRESET' };

/** Answers of every shape, one per request, by the request's path: what a test expects back for each. */
function variedAnswer(req: Received): string {
  const i = Number(req.path.split('/')[2] ?? 0);
  if (req.method === 'HEAD') return 'HTTP/1.1 200 OK\r\ncontent-length: 99\r\n\r\n';
  if (i % 5 === 1) return 'HTTP/1.1 204 No Content\r\n\r\n';
  if (i % 5 === 2) {
    // Two chunks, sized in bytes (the answer is written as UTF-8).
    const body = `chunked ${req.body}`;
    const [a, b] = [body.slice(0, body.length >> 1), body.slice(body.length >> 1)];
    const size = (text: string) => Buffer.byteLength(text).toString(16);
    return (
      'HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n' +
      `${size(a)};x=1\r\n${a}\r\n${size(b)}\r\n${b}\r\n0\r\nx-trailer: t\r\n\r\n`
    );
  }
  if (i % 5 === 3) return `HTTP/1.1 100 Continue\r\n\r\n${answer(`after continue ${req.body}`)}`;
  return answer(`echo ${req.body}`, `x-path: ${req.path}\r\n`);
}

function expectVaried(res: Http1Response, i: number, body: string) {
  if (i % 5 === 1) expect(res).toMatchObject({ status: 204, body: Buffer.alloc(0) });
  else if (i % 5 === 2) {
    expect(res.status).toBe(201);
    expect(res.body.toString()).toBe(`chunked ${body}`);
  } else if (i % 5 === 3) expect(res.body.toString()).toBe(`after continue ${body}`);
  else {
    expect(res.headers['x-path']).toBe(`/n/${i}`);
    expect(res.body.toString()).toBe(`echo ${body}`);
  }
}

/** Writes `bytes` in slices of the given sizes (round and round), each on its own turn of the event loop. */
async function slices(socket: net.Socket, bytes: Buffer, sizes: number[]) {
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const size = sizes[k % sizes.length]!;
    socket.write(bytes.subarray(at, at + size));
    at += size;
    await new Promise((r) => setTimeout(r, 1));
  }
}

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

describe('Http1Pool: pipelining', () => {
  it('writes the requests of one tick in one write and reads their answers from one', async () => {
    const server = await pipelineServer((socket, reqs, n) => {
      socket.write(reqs.map(variedAnswer).join(''));
      server.answered(n, reqs.length);
    });
    const p = pool(server.url, 1, 32);
    // Started in a chain of microtasks, as a fan-out does: still one tick.
    const started: Promise<Http1Response>[] = [];
    const bodies = Array.from({ length: 20 }, (_, i) => `post ${i} ${'é'.repeat(i)}`);
    let chain = Promise.resolve();
    for (const [i, body] of bodies.entries())
      chain = chain.then(() => {
        started.push(p.request(post(`/n/${i}`, body)));
      });
    await chain;
    expect(p.sockets).toBe(1);
    expect(p.inFlight).toBe(20);
    const answers = await Promise.all(started);
    for (const [i, res] of answers.entries()) expectVaried(res, i, bodies[i]!);
    expect(server.sockets()).toBe(1);
    expect(server.chunks[0]?.[0]).toBe(20);
    expect(server.received.map((r) => r.path)).toEqual(bodies.map((_, i) => `/n/${i}`));
    expect(server.received.map((r) => r.body)).toEqual(bodies);
    // The socket stays open and idle, and is reused.
    expect(p.inFlight).toBe(0);
    expect((await p.request(post('/n/0', 'again'))).body.toString()).toBe('echo again');
    expect(server.sockets()).toBe(1);
  });

  it('reads answers cut at every byte and at odd boundaries, HEAD and 1xx among them', async () => {
    for (const sizes of [[1], [3, 7, 1, 13, 2, 31, 5], [50, 1, 97]]) {
      const server = await pipelineServer((socket, reqs, n) => {
        void slices(socket, Buffer.from(reqs.map(variedAnswer).join('')), sizes);
        server.answered(n, reqs.length);
      });
      const p = pool(server.url, 1, 16);
      const requests = Array.from({ length: 10 }, (_, i) =>
        i === 4 ? { method: 'HEAD', path: '/n/4', headers: {} } : post(`/n/${i}`, `b${i}`),
      );
      const answers = await Promise.all(requests.map((r) => p.request(r)));
      for (const [i, res] of answers.entries()) {
        if (i === 4) expect(res).toMatchObject({ status: 200, body: Buffer.alloc(0) });
        else expectVaried(res, i, `b${i}`);
      }
      expect(server.sockets()).toBe(1);
      expect(p.sockets).toBe(1);
    }
  });

  it('a socket the server ends after 2 answers of 5: those resolve, the rest hang up; the next request opens another', async () => {
    const server = await pipelineServer((socket, reqs, n) => {
      if (n === 1) socket.end(reqs.slice(0, 2).map(variedAnswer).join(''));
      else socket.write(reqs.map(variedAnswer).join(''));
    });
    const p = pool(server.url, 1, 8);
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => p.request(post(`/n/${i * 5}`, `b${i}`))),
    );
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
      'rejected',
    ]);
    for (const r of results.slice(2)) expect((r as PromiseRejectedResult).reason).toMatchObject(hangUp);
    expect(server.chunks[0]).toEqual([5]);
    expect((await p.request(post('/n/0', 'later'))).body.toString()).toBe('echo later');
    expect(server.received.map((r) => r.socket)).toEqual([1, 1, 1, 1, 1, 2]);
  });

  it('an answer with connection: close resolves; those behind it hang up, even when their answers follow', async () => {
    const server = await pipelineServer((socket, reqs) => {
      // All four answers in one write, the second closing: the client must not read the last two.
      socket.write(reqs.map((_, i) => answer(`a${i}`, i === 1 ? 'connection: close\r\n' : '')).join(''));
    });
    const p = pool(server.url, 1, 4);
    const results = await Promise.allSettled([1, 2, 3, 4].map((i) => p.request(get(`/${i}`))));
    expect(
      results.slice(0, 2).map((r) => (r as PromiseFulfilledResult<Http1Response>).value.body.toString()),
    ).toEqual(['a0', 'a1']);
    expect(results.slice(2).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    for (const r of results.slice(2)) expect((r as PromiseRejectedResult).reason).toMatchObject(hangUp);
    expect(p.sockets).toBe(0);
    expect((await p.request(get('/5'))).body.toString()).toBe('a0');
    expect(server.sockets()).toBe(2);
  });

  it('an HTTP/1.0 answer without keep-alive, read to the close, resolves; those behind it hang up', async () => {
    const server = await pipelineServer((socket) => socket.end('HTTP/1.0 200 OK\r\n\r\nto the close'));
    const p = pool(server.url, 1, 4);
    const [first, ...rest] = await Promise.allSettled([1, 2, 3].map((i) => p.request(get(`/${i}`))));
    expect((first as PromiseFulfilledResult<Http1Response>).value.body.toString()).toBe('to the close');
    for (const r of rest) expect((r as PromiseRejectedResult).reason).toMatchObject(hangUp);
  });

  it('the timeout is the head of the line’s: it fails with its message, those behind with a hang-up', async () => {
    const server = await pipelineServer(() => {});
    const p = pool(server.url, 1, 4);
    const t0 = performance.now();
    const results = Promise.allSettled([
      p.request({ ...get('/1'), timeoutMs: 50, timeoutMessage: 'ETIMEDOUT: head' }),
      p.request({ ...get('/2'), timeoutMs: 10_000 }),
      p.request(get('/3')),
    ]);
    const [head, ...rest] = await results;
    expect((head as PromiseRejectedResult).reason).toMatchObject({ message: 'ETIMEDOUT: head' });
    for (const r of rest) expect((r as PromiseRejectedResult).reason).toMatchObject(hangUp);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
    expect(p.sockets).toBe(0);
  });

  it('once the head is answered, the next one’s timeout runs', async () => {
    const server = await pipelineServer((socket, reqs) => socket.write(variedAnswer(reqs[0]!)));
    const p = pool(server.url, 1, 4);
    const results = await Promise.allSettled([
      p.request({ ...post('/n/0', 'x') }),
      p.request({ ...get('/2'), timeoutMs: 40, timeoutMessage: 'ETIMEDOUT: second' }),
      p.request(get('/3')),
    ]);
    expect((results[0] as PromiseFulfilledResult<Http1Response>).value.body.toString()).toBe('echo x');
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'ETIMEDOUT: second' });
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject(hangUp);
  });

  it('an abort in flight closes the socket: the aborted one fails with its reason, the others hang up', async () => {
    const server = await pipelineServer(() => {});
    const p = pool(server.url, 1, 4);
    const abort = new AbortController();
    const first = p.request(get('/1'));
    const second = p.request({ ...get('/2'), signal: abort.signal });
    const third = p.request(get('/3'));
    await tick();
    expect(server.received).toHaveLength(3);
    abort.abort(new Error('stop'));
    await expect(second).rejects.toThrow('stop');
    await expect(first).rejects.toMatchObject(hangUp);
    await expect(third).rejects.toMatchObject(hangUp);
    expect(p.sockets).toBe(0);
  });

  it('an abort while waiting for room takes the request out of the queue and leaves the sockets be', async () => {
    const server = await pipelineServer((socket, reqs) => {
      setTimeout(() => socket.write(reqs.map(variedAnswer).join('')), 30);
    });
    const p = pool(server.url, 1, 2);
    const abort = new AbortController();
    const first = p.request(post('/n/0', 'a'));
    const second = p.request(post('/n/5', 'b'));
    const waiting = p.request({ ...post('/n/10', 'c'), signal: abort.signal });
    expect(p.inFlight).toBe(2);
    abort.abort(new Error('deadline'));
    await expect(waiting).rejects.toThrow('deadline');
    expect(p.sockets).toBe(1);
    expect((await first).body.toString()).toBe('echo a');
    expect((await second).body.toString()).toBe('echo b');
    expect(server.received.map((r) => r.path)).toEqual(['/n/0', '/n/5']);
    expect(p.sockets).toBe(1);
  });

  it('fills one socket before opening another, k at most on each; waiting requests take the freed slots', async () => {
    // Each answer on its own turn, in order, so that freed slots are taken one by one.
    const lines: Promise<void>[] = [];
    const server = await pipelineServer((socket, reqs, n) => {
      for (const req of reqs)
        lines[n - 1] = (lines[n - 1] ?? Promise.resolve()).then(async () => {
          await tick(5);
          server.answered(n, 1);
          socket.write(variedAnswer(req));
        });
    });
    const p = pool(server.url, 2, 4);
    // Two bodies over the 16 KB at which a request's head and body are written apart.
    const bodies = Array.from({ length: 10 }, (_, i) => (i === 3 || i === 8 ? 'x'.repeat(40_000) : `b${i}`));
    const started = bodies.map((body, i) => p.request(post(`/n/${i}`, body)));
    expect(p.sockets).toBe(2);
    expect(p.inFlight).toBe(8);
    const answers = await Promise.all(started);
    for (const [i, res] of answers.entries()) expectVaried(res, i, bodies[i]!);
    expect(server.sockets()).toBe(2);
    expect(Math.max(...server.maxOutstanding)).toBeLessThanOrEqual(4);
    // The first socket took the first four, the second the next four, in one read each.
    expect(server.received.slice(0, 8).map((r) => r.socket)).toEqual([1, 1, 1, 1, 2, 2, 2, 2]);
    expect(server.chunks.map((c) => c[0])).toEqual([4, 4]);
  });

  it('a socket that fails fails every request on it; the waiting ones go to a new socket, as many as fit', async () => {
    const server = await pipelineServer((socket, reqs, n) => {
      if (n === 1) socket.destroy();
      else socket.write(reqs.map(variedAnswer).join(''));
    });
    const p = pool(server.url, 1, 3);
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => p.request(post(`/n/${i * 5}`, `b${i}`))),
    );
    expect(results.map((r) => r.status)).toEqual([
      'rejected',
      'rejected',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    for (const r of results.slice(0, 3))
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'ECONNRESET' });
    expect(server.sockets()).toBe(2);
    expect(server.chunks[1]?.[0]).toBe(3);
  });

  it('destroy fails every request in flight and waiting', async () => {
    const server = await pipelineServer(() => {});
    const p = pool(server.url, 1, 2);
    const started = [1, 2, 3].map((i) => p.request(get(`/${i}`)));
    await tick();
    p.destroy();
    for (const r of started) await expect(r).rejects.toThrow(/destroyed/);
  });
});

describe('Http1Pool without pipelining (the default)', () => {
  it('never writes a request on a socket before the answer before it', async () => {
    const server = await pipelineServer((socket, reqs, n) => {
      setTimeout(() => {
        server.answered(n, reqs.length);
        socket.write(reqs.map(variedAnswer).join(''));
      }, 5);
    });
    const p = pool(server.url, 1);
    const answers = await Promise.all([0, 5, 10, 15].map((i) => p.request(post(`/n/${i}`, `b${i}`))));
    expect(answers.map((r) => r.body.toString())).toEqual(['echo b0', 'echo b5', 'echo b10', 'echo b15']);
    expect(server.sockets()).toBe(1);
    expect(server.chunks[0]).toEqual([1, 1, 1, 1]);
    expect(server.maxOutstanding).toEqual([1]);
  });

  it('closes a socket on which an answer nobody asked for follows', async () => {
    const server = await pipelineServer((socket) => socket.write(answer('one') + answer('two')));
    const p = pool(server.url, 1);
    expect((await p.request(get())).body.toString()).toBe('one');
    await tick();
    expect(p.sockets).toBe(0);
  });
});

describe('ResponseParser: pipelined answers', () => {
  it('leaves the bytes after an answer in rest, for the next one', () => {
    const parser = new ResponseParser();
    parser.reset(false);
    const chunk = Buffer.from(
      `${answer('one')}HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n${answer('three')}`,
    );
    const bodies: string[] = [];
    for (let data: Buffer = chunk; ; ) {
      const res = parser.feed(data);
      bodies.push(res!.body.toString());
      data = parser.rest;
      if (data.length === 0) break;
      parser.reset(false);
    }
    expect(bodies).toEqual(['one', 'two', 'three']);
  });
});
