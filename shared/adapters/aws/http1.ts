import net from 'node:net';
import tls from 'node:tls';

/**
 * A keep-alive HTTP/1.1 client for one origin: a pool of sockets, one request in flight on each (no
 * pipelining), the answer read by a parser of its own. It does what `http.Agent` + `http.request` do for an
 * AWS call (signed headers in, status, headers and body out) with a fraction of their CPU and garbage: no
 * ClientRequest, IncomingMessage or stream per request. That is the cost of every delivery
 * (`PostToConnection`) and every DynamoDB request, measured in `npm run bench -- post` (docs/performance.md).
 *
 * Failures are those `node:http` gives, worded so that the callers' retry rules read them the same: a socket
 * that ends before its answer is complete rejects with "socket hang up" (ECONNRESET), an error of the socket
 * with that error. A request on a kept-alive socket the server has just closed fails that way too, as with
 * `node:http`; the callers retry it (nothing reached the server).
 */

export interface Http1Options {
  /** http: or https:; the host and port are the origin's. */
  url: URL;
  /** Sockets open at most; requests beyond wait in order. */
  maxSockets: number;
  /** Extra options of `tls.connect` (tests: a pre-shared key instead of a certificate). */
  tls?: tls.ConnectionOptions | undefined;
}

export interface Http1Request {
  method: string;
  /** The request target: path and query, encoded already. */
  path: string;
  /** Sent as given (a `host` among them, or the origin's is added); content-length is added for a body. */
  headers: Record<string, string>;
  body?: Uint8Array | string | undefined;
  /** Fails the request (and closes its socket) after this long without a byte either way. */
  timeoutMs?: number | undefined;
  /** The error of a timeout. @default "TimeoutError: no answer from {host} in {ms} ms" */
  timeoutMessage?: string | undefined;
  /** Stops the request where it is: it rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

export interface Http1Response {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

/** A kept-alive socket idle this long is closed rather than reused: servers close theirs at ~5 s (Node's). */
const IDLE_MS = 4_000;
/** An answer's head larger than this is refused. */
const MAX_HEAD_BYTES = 64 * 1024;
const CRLF2 = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);
/** A request target: printable ASCII, no space (a CR or LF would start another line). */
const TARGET = /^\/[\x21-\x7e]*$/;
/** A header's name (an RFC 9110 token) and value (printable ASCII and tabs: no line breaks). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const VALUE = /^[\t\x20-\x7e]*$/;

interface Pending {
  req: Http1Request;
  /** The request line and headers, checked. */
  head: string;
  resolve(res: Http1Response): void;
  reject(error: unknown): void;
  /** While it waits for a socket: takes it out of the queue when its signal aborts. */
  onAbort?: (() => void) | undefined;
}

export class Http1Pool {
  readonly #url: URL;
  readonly #host: string;
  readonly #port: number;
  readonly #secure: boolean;
  readonly #maxSockets: number;
  readonly #tls: tls.ConnectionOptions | undefined;
  /** Every open socket, in use or idle; `#idle` holds the idle ones, most recently used last. */
  readonly #all = new Set<Connection>();
  readonly #idle: Connection[] = [];
  readonly #waiting: Pending[] = [];
  #destroyed = false;

  constructor(options: Http1Options) {
    this.#url = options.url;
    this.#secure = options.url.protocol === 'https:';
    if (!this.#secure && options.url.protocol !== 'http:')
      throw new TypeError(`not an http(s) URL: ${options.url.href}`);
    this.#host = options.url.hostname.replace(/^\[|\]$/g, '');
    this.#port = Number(options.url.port) || (this.#secure ? 443 : 80);
    this.#maxSockets = Math.max(1, options.maxSockets);
    this.#tls = options.tls;
  }

  /** Sockets open now (in use or idle): for tests. */
  get sockets(): number {
    return this.#all.size;
  }

  request(req: Http1Request): Promise<Http1Response> {
    return new Promise<Http1Response>((resolve, reject) => {
      if (this.#destroyed) return reject(new Error('the HTTP client was destroyed'));
      if (req.signal?.aborted) return reject(req.signal.reason);
      let head: string;
      try {
        head = requestHead(req, this.#url.host);
      } catch (error) {
        return reject(error);
      }
      const pending: Pending = { req, head, resolve, reject };
      const conn = this.#takeIdle();
      if (conn) conn.start(pending);
      else if (this.#all.size < this.#maxSockets) this.#connect().start(pending);
      else this.#wait(pending);
    });
  }

  #wait(pending: Pending): void {
    this.#waiting.push(pending);
    const signal = pending.req.signal;
    if (!signal) return;
    pending.onAbort = () => {
      const i = this.#waiting.indexOf(pending);
      if (i !== -1) this.#waiting.splice(i, 1);
      pending.reject(signal.reason);
    };
    signal.addEventListener('abort', pending.onAbort, { once: true });
  }

  /** The next waiting request, no longer listening for its abort (the socket does from now on). */
  #next(): Pending | undefined {
    const next = this.#waiting.shift();
    if (next?.onAbort) next.req.signal?.removeEventListener('abort', next.onAbort);
    return next;
  }

  /** Closes every socket; requests in flight or waiting fail. */
  destroy(): void {
    this.#destroyed = true;
    for (const p of this.#waiting.splice(0)) p.reject(new Error('the HTTP client was destroyed'));
    // Closing takes each out of `#all` and `#idle` (`#closed`); an idle one has no request to fail.
    for (const conn of this.#all) conn.close(new Error('the HTTP client was destroyed'));
  }

  #takeIdle(): Connection | undefined {
    const now = Date.now();
    for (let conn = this.#idle.pop(); conn; conn = this.#idle.pop()) {
      if (now - conn.idleSince < IDLE_MS) return conn;
      conn.close();
    }
    return undefined;
  }

  #connect(): Connection {
    const socket: net.Socket = this.#secure
      ? tls.connect({
          host: this.#host,
          port: this.#port,
          ...(net.isIP(this.#host) ? {} : { servername: this.#host }),
          ALPNProtocols: ['http/1.1'],
          ...this.#tls,
        })
      : net.connect({ host: this.#host, port: this.#port });
    socket.setNoDelay(true);
    const conn = new Connection(socket, this.#url.host, {
      free: (c) => this.#free(c),
      closed: (c) => this.#closed(c),
    });
    this.#all.add(conn);
    return conn;
  }

  /** A socket's answer is complete and it may be reused: the next waiting request, or the idle stack. */
  #free(conn: Connection): void {
    const next = this.#next();
    if (next) {
      conn.start(next);
      return;
    }
    conn.idleSince = Date.now();
    this.#idle.push(conn);
  }

  #closed(conn: Connection): void {
    this.#all.delete(conn);
    const i = this.#idle.indexOf(conn);
    if (i !== -1) this.#idle.splice(i, 1);
    const next = this.#destroyed ? undefined : this.#next();
    if (next) this.#connect().start(next);
  }
}

interface PoolHooks {
  free(conn: Connection): void;
  closed(conn: Connection): void;
}

/** One socket and the answer being read on it. */
class Connection {
  idleSince = 0;
  #current: Pending | null = null;
  #closed = false;
  #parser = new ResponseParser();
  #onAbort: (() => void) | null = null;

  constructor(
    readonly socket: net.Socket,
    readonly host: string,
    private readonly pool: PoolHooks,
  ) {
    socket.on('data', (chunk: Buffer) => this.#data(chunk));
    // An error ends the socket ('close' follows); an idle socket's error is only that.
    socket.on('error', (error) => this.#fail(error));
    socket.on('end', () => this.#fail(null));
    socket.on('close', () => this.#fail(null));
    socket.on('timeout', () => {
      const req = this.#current?.req;
      this.close(
        new Error(req?.timeoutMessage ?? `TimeoutError: no answer from ${host} in ${req?.timeoutMs} ms`),
      );
    });
  }

  start(pending: Pending): void {
    const { req, head } = pending;
    this.#current = pending;
    this.#parser.reset(req.method === 'HEAD');
    const socket = this.socket;
    socket.ref();
    if (req.timeoutMs) socket.setTimeout(req.timeoutMs);
    if (req.signal) {
      const signal = req.signal;
      this.#onAbort = () => this.close(signal.reason);
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    const body = req.body;
    if (body === undefined || body.length === 0) socket.write(head, 'latin1');
    else if (typeof body === 'string') socket.write(head + body, 'utf8');
    else if (body.byteLength <= 16_384) {
      const out = Buffer.allocUnsafe(head.length + body.byteLength);
      out.write(head, 0, 'latin1');
      out.set(body, head.length);
      socket.write(out);
    } else {
      socket.cork();
      socket.write(head, 'latin1');
      socket.write(body);
      process.nextTick(() => socket.uncork());
    }
  }

  /** Ends the socket; the request on it, if any, fails with `error`. */
  close(error: Error | null = null): void {
    this.#fail(error ?? hangUp());
    this.socket.destroy();
  }

  #data(chunk: Buffer): void {
    const current = this.#current;
    if (!current) {
      // Bytes nobody asked for: the socket is out of step.
      this.close();
      return;
    }
    let res: Http1Response | null;
    try {
      res = this.#parser.feed(chunk);
    } catch (error) {
      this.close(error as Error);
      return;
    }
    if (!res) return;
    this.#settle();
    // An answer that came before the request was all written (a 413, say) leaves the socket out of step.
    const reusable = this.#parser.keepAlive && !this.#parser.extra && this.socket.writableLength === 0;
    current.resolve(res);
    if (reusable && !this.#closed) {
      this.socket.setTimeout(0);
      this.socket.unref();
      this.pool.free(this);
    } else this.close();
  }

  /** The socket ended or failed: the request in flight fails (an answer read to its close is complete). */
  #fail(error: Error | null): void {
    const current = this.#current;
    if (current) {
      this.#settle();
      const res = error === null ? this.#parser.end() : null;
      if (res) current.resolve(res);
      else current.reject(error ?? hangUp());
    }
    if (!this.#closed) {
      this.#closed = true;
      this.socket.destroy();
      this.pool.closed(this);
    }
  }

  #settle(): void {
    const req = this.#current?.req;
    if (req?.signal && this.#onAbort) req.signal.removeEventListener('abort', this.#onAbort);
    this.#onAbort = null;
    this.#current = null;
  }
}

function hangUp(): Error {
  const error = new Error('socket hang up') as NodeJS.ErrnoException;
  error.code = 'ECONNRESET';
  return error;
}

/** The request line and headers, checked for line breaks (a header's value cannot start another header). */
function requestHead(req: Http1Request, host: string): string {
  if (!TOKEN.test(req.method) || !TARGET.test(req.path))
    throw new TypeError(`a bad request target: ${JSON.stringify(`${req.method} ${req.path}`)}`);
  let head = `${req.method} ${req.path} HTTP/1.1\r\n`;
  let hasHost = false;
  let hasLength = false;
  for (const name in req.headers) {
    const value = req.headers[name]!;
    if (!TOKEN.test(name) || !VALUE.test(value)) throw new TypeError(`a bad header: ${JSON.stringify(name)}`);
    const lower = name.toLowerCase();
    if (lower === 'host') hasHost = true;
    else if (lower === 'content-length') hasLength = true;
    head += `${name}: ${value}\r\n`;
  }
  if (!hasHost) head += `host: ${host}\r\n`;
  if (!hasLength) {
    const body = req.body;
    const length =
      body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    if (length > 0 || req.method === 'POST' || req.method === 'PUT') head += `content-length: ${length}\r\n`;
  }
  return `${head}\r\n`;
}

/**
 * An HTTP/1.1 answer, read from the chunks of one socket: the head, then a body of content-length bytes,
 * chunked, or to the close. 1xx answers are skipped.
 */
export class ResponseParser {
  keepAlive = true;
  /** Bytes came after the answer (a pipelined answer nobody asked for): the socket is not reused. */
  extra = false;
  #head: Buffer = EMPTY;
  #status = 0;
  #headers: Record<string, string> = {};
  #noBody = false;
  /** -1: reading the head; >= 0: body bytes still to come; Infinity: to the close. */
  #remaining = -1;
  #chunked = false;
  /** Chunked: the unread rest of the chunk (-1: at a size line; -2: at the trailers). */
  #chunk = -1;
  #pending: Buffer = EMPTY;
  #parts: Buffer[] = [];

  reset(noBody: boolean): void {
    this.keepAlive = true;
    this.extra = false;
    this.#head = EMPTY;
    this.#status = 0;
    this.#headers = {};
    this.#noBody = noBody;
    this.#remaining = -1;
    this.#chunked = false;
    this.#chunk = -1;
    this.#pending = EMPTY;
    this.#parts = [];
  }

  /** The answer once complete, else null (more to come). Throws at a malformed answer. */
  feed(chunk: Buffer): Http1Response | null {
    let data = chunk;
    while (this.#remaining === -1) {
      data = this.#head.length > 0 ? Buffer.concat([this.#head, data]) : data;
      const end = data.indexOf(CRLF2);
      if (end === -1) {
        if (data.length > MAX_HEAD_BYTES)
          throw new Error('HPE_HEADER_OVERFLOW: the answer head is too large');
        this.#head = data;
        return null;
      }
      this.#head = EMPTY;
      this.#parseHead(data.toString('latin1', 0, end));
      data = data.subarray(end + 4);
      if (this.#status >= 100 && this.#status < 200) continue; // 100 Continue and the like: the real one follows
      if (this.#noBody || this.#status === 204 || this.#status === 304) this.#remaining = 0;
      else if (this.#chunked) this.#remaining = Number.POSITIVE_INFINITY;
      else {
        const length = this.#headers['content-length'];
        if (length === undefined) {
          this.#remaining = Number.POSITIVE_INFINITY;
          this.keepAlive = false; // read to the close
        } else {
          if (!/^\d+$/.test(length)) throw new Error(`HPE_INVALID_CONTENT_LENGTH: ${length}`);
          this.#remaining = Number(length);
        }
      }
    }
    if (this.#chunked) return this.#feedChunked(data);
    if (this.#remaining === Number.POSITIVE_INFINITY) {
      if (data.length > 0) this.#parts.push(data);
      return null;
    }
    if (data.length > this.#remaining) {
      this.extra = true;
      data = data.subarray(0, this.#remaining);
    }
    if (data.length > 0) this.#parts.push(data);
    this.#remaining -= data.length;
    return this.#remaining === 0 ? this.#answer() : null;
  }

  /** The socket ended: the answer, if it was one read to the close; else null (it was cut short). */
  end(): Http1Response | null {
    if (this.#remaining === Number.POSITIVE_INFINITY && !this.#chunked) return this.#answer();
    return null;
  }

  #answer(): Http1Response {
    const parts = this.#parts;
    const body = parts.length === 0 ? EMPTY : parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    return { status: this.#status, headers: this.#headers, body };
  }

  #parseHead(head: string): void {
    const lines = head.split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
    if (!m) throw new Error(`HPE_INVALID_CONSTANT: not an HTTP/1.x answer: ${JSON.stringify(lines[0])}`);
    this.#status = Number(m[2]);
    const headers: Record<string, string> = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`HPE_INVALID_HEADER_TOKEN: ${JSON.stringify(line)}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      const before = headers[name];
      headers[name] = before === undefined ? value : `${before}, ${value}`;
    }
    this.#headers = headers;
    const connection = headers.connection?.toLowerCase() ?? '';
    this.keepAlive = m[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
    const te = headers['transfer-encoding'];
    this.#chunked = te !== undefined && /(?:^|,)\s*chunked\s*$/i.test(te);
    if (te !== undefined && !this.#chunked) this.keepAlive = false; // another coding: read to the close
  }

  #feedChunked(input: Buffer): Http1Response | null {
    let data = this.#pending.length > 0 ? Buffer.concat([this.#pending, input]) : input;
    this.#pending = EMPTY;
    for (;;) {
      if (this.#chunk > 0) {
        // Data of the chunk, then its CRLF.
        const take = Math.min(this.#chunk, data.length);
        if (take > 0) this.#parts.push(data.subarray(0, take));
        this.#chunk -= take;
        data = data.subarray(take);
        if (this.#chunk > 0) return null;
        this.#chunk = -3; // expecting the CRLF after the data
      }
      if (this.#chunk === -3) {
        if (data.length < 2) {
          this.#pending = data;
          return null;
        }
        if (data[0] !== 13 || data[1] !== 10)
          throw new Error('HPE_INVALID_CHUNK_SIZE: no CRLF after a chunk');
        data = data.subarray(2);
        this.#chunk = -1;
      }
      const eol = data.indexOf('\r\n');
      if (eol === -1) {
        if (data.length > 1024) throw new Error('HPE_INVALID_CHUNK_SIZE: a chunk line too long');
        this.#pending = data;
        return null;
      }
      const line = data.toString('latin1', 0, eol);
      data = data.subarray(eol + 2);
      if (this.#chunk === -2) {
        // Trailers, up to an empty line.
        if (line === '') {
          if (data.length > 0) this.extra = true;
          return this.#answer();
        }
        continue;
      }
      const size = Number.parseInt(line.split(';')[0]!.trim(), 16);
      if (!/^[0-9a-fA-F]+/.test(line) || !Number.isFinite(size))
        throw new Error(`HPE_INVALID_CHUNK_SIZE: ${JSON.stringify(line)}`);
      this.#chunk = size === 0 ? -2 : size;
    }
  }
}
