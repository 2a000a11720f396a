import net from 'node:net';
import tls from 'node:tls';

/**
 * A keep-alive HTTP/1.1 client for one origin: a pool of sockets, one request in flight on each unless
 * pipelining is asked for, the answer read by a parser of its own. It does what `http.Agent` +
 * `http.request` do for an AWS call (signed headers in, status, headers and body out) with a fraction of
 * their CPU and garbage: no ClientRequest, IncomingMessage or stream per request. That is the cost of every
 * delivery (`PostToConnection`) and every DynamoDB request, measured in `npm run bench -- post`
 * (docs/performance.md).
 *
 * Pipelining (`pipeline: k`, opt-in) lets a socket carry up to k requests at once, answered in order: a new
 * request goes to the first open socket with room, a new socket is opened only when every one is full, and
 * the requests started on a socket in one tick go out in one write (corked until the next tick). A fan-out
 * that starts 64 posts at once then costs one writev and, from a server that answers as it reads, one read,
 * instead of 64 of each on 64 sockets: that is for the local stack's Management API, on loopback. It is off
 * by default because proxies and AWS endpoints need not support it (RFC 9112 allows a server to close
 * instead), and a slow answer holds up those behind it.
 *
 * Failures are those `node:http` gives, worded so that the callers' retry rules read them the same: a socket
 * that ends before its answer is complete rejects with "socket hang up" (ECONNRESET), an error of the socket
 * with that error. A request on a kept-alive socket the server has just closed fails that way too, as with
 * `node:http`; the callers retry it (nothing reached the server). On a pipelined socket the request an error
 * concerns (the oldest unanswered one, or the one whose signal aborted) fails with that error and every other
 * request in flight on it with a hang-up, as do those behind an answer that closes the socket
 * (`connection: close`).
 */

export interface Http1Options {
  /** http: or https:; the host and port are the origin's. */
  url: URL;
  /** Sockets open at most; requests beyond wait in order. */
  maxSockets: number;
  /** Extra options of `tls.connect` (tests: a pre-shared key instead of a certificate). */
  tls?: tls.ConnectionOptions | undefined;
  /**
   * Requests in flight on one socket at most, answered in order (HTTP/1.1 pipelining). Only for a server
   * known to support it (the local stack's); see the class's comment. @default 1 (no pipelining)
   */
  pipeline?: number | undefined;
}

export interface Http1Request {
  method: string;
  /** The request target: path and query, encoded already. */
  path: string;
  /** Sent as given (a `host` among them, or the origin's is added); content-length is added for a body. */
  headers: Record<string, string>;
  body?: Uint8Array | string | undefined;
  /**
   * Fails the request (and closes its socket) after this long without a byte either way. On a pipelined
   * socket it runs while the request is the oldest unanswered there (from the answer before it).
   */
  timeoutMs?: number | undefined;
  /** The error of a timeout. @default "TimeoutError: no answer from {host} in {ms} ms" */
  timeoutMessage?: string | undefined;
  /**
   * Stops the request where it is: it rejects with the signal's reason. A request in flight on a pipelined
   * socket cannot be unsent: its socket is closed, and the others on it fail with a hang-up.
   */
  signal?: AbortSignal | undefined;
}

export interface Http1Response {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Pipelining: a tick's requests go out in writes of this many at most. The server starts on the first while
 * the rest are still being made (a fan-out makes 64 at once), instead of the two sides taking turns. Fan-out
 * bench, 2 runs each: 8 a write 9,802 and 10,240 deliveries a second; 16: 10,170–12,197; 32: 11,379–11,900;
 * 64 (one write a tick): 9,098 and 9,312.
 */
const WRITE_EVERY = 32;
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
  /** While it waits for a socket: takes it out of the queue; on a socket: closes it (`Connection.start`). */
  onAbort?: (() => void) | undefined;
  /** Pipelined: its bytes are all written (the write's callback), so an answer to it leaves the socket in step. */
  sent?: boolean | undefined;
}

export class Http1Pool {
  readonly #url: URL;
  readonly #host: string;
  readonly #port: number;
  readonly #secure: boolean;
  readonly #maxSockets: number;
  readonly #tls: tls.ConnectionOptions | undefined;
  /** Requests in flight on one socket at most: 1, or more when pipelining. */
  readonly #pipeline: number;
  /**
   * Every open socket, in use or idle, oldest first; `#idle` holds the idle ones, most recently used last
   * (without pipelining; with it, a socket with room is found in `#all`, idle or not).
   */
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
    this.#pipeline = Math.max(1, Math.floor(options.pipeline ?? 1) || 1);
  }

  /** Sockets open now (in use or idle): for tests. */
  get sockets(): number {
    return this.#all.size;
  }

  /** Requests written and not yet answered, on every socket (not those waiting for one): for tests. */
  get inFlight(): number {
    let n = 0;
    for (const conn of this.#all) n += conn.inFlight;
    return n;
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
      const conn = this.#pipeline === 1 ? this.#takeIdle() : this.#withRoom();
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
    for (const conn of this.#all) conn.close(new Error('the HTTP client was destroyed'), 'all');
  }

  #takeIdle(): Connection | undefined {
    const now = Date.now();
    for (let conn = this.#idle.pop(); conn; conn = this.#idle.pop()) {
      if (now - conn.idleSince < IDLE_MS) return conn;
      conn.close();
    }
    return undefined;
  }

  /**
   * Pipelining: the first open socket with room, so that one socket fills before another is opened (its
   * requests then share writes); an idle one idle too long is closed rather than used, as in `#takeIdle`.
   */
  #withRoom(): Connection | undefined {
    const now = Date.now();
    for (const conn of this.#all) {
      const inFlight = conn.inFlight;
      if (inFlight >= this.#pipeline) continue;
      if (inFlight === 0 && now - conn.idleSince >= IDLE_MS) {
        conn.close(); // leaves `#all` (`#closed`): deleting while iterating a Set is safe
        continue;
      }
      return conn;
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
    const conn = new Connection(socket, this.#url.host, this.#pipeline > 1, {
      free: (c) => this.#free(c),
      closed: (c) => this.#closed(c),
    });
    this.#all.add(conn);
    return conn;
  }

  /**
   * An answer on a socket is complete and the socket may be reused: its slot goes to the next waiting
   * request; else the socket, if nothing else is in flight on it, goes idle (onto the idle stack unless
   * pipelining).
   */
  #free(conn: Connection): void {
    const next = this.#next();
    if (next) {
      conn.start(next);
      return;
    }
    if (conn.inFlight > 0) return;
    conn.idleSince = Date.now();
    if (this.#pipeline === 1) this.#idle.push(conn);
  }

  /** A socket closed: the requests waiting go to a new one (as many as it may carry). */
  #closed(conn: Connection): void {
    this.#all.delete(conn);
    const i = this.#idle.indexOf(conn);
    if (i !== -1) this.#idle.splice(i, 1);
    const next = this.#destroyed ? undefined : this.#next();
    if (!next) return;
    const fresh = this.#connect();
    fresh.start(next);
    // Pipelining: fill it, or the rest would only trickle onto it one answer at a time.
    while (fresh.inFlight < this.#pipeline && this.#waiting.length > 0) fresh.start(this.#next()!);
  }
}

interface PoolHooks {
  free(conn: Connection): void;
  closed(conn: Connection): void;
}

/**
 * One socket and the requests in flight on it, answered in order: `#current`, whose answer is being read,
 * then (pipelining) `#behind`, written after it.
 */
class Connection {
  idleSince = 0;
  /** The oldest request unanswered: the head of the line. */
  #current: Pending | null = null;
  /** Pipelining: the requests written after `#current`, oldest first (empty unless `#current` is set). */
  readonly #behind: Pending[] = [];
  #closed = false;
  #parser = new ResponseParser();
  /**
   * Pipelining: the socket is corked until the next tick, or until it holds WRITE_EVERY requests, so that
   * this tick's requests share a few writes.
   */
  #corked = false;
  /** Requests written into the cork. */
  #inCork = 0;
  /** The next tick's uncork is scheduled. */
  #tick = false;
  readonly #uncork = () => {
    this.#tick = false;
    if (!this.#corked) return;
    this.#corked = false;
    this.socket.uncork();
  };

  constructor(
    readonly socket: net.Socket,
    readonly host: string,
    /** Requests may be written while others are in flight: coalesce their writes, track what is sent. */
    private readonly pipelined: boolean,
    private readonly pool: PoolHooks,
  ) {
    socket.on('data', (chunk: Buffer) => this.#data(chunk));
    // An error ends the socket ('close' follows); an idle socket's error is only that.
    socket.on('error', (error) => this.#fail(error));
    socket.on('end', () => this.#fail(null));
    socket.on('close', () => this.#fail(null));
    // The timeout is the head of the line's (`#current`): its answer is the one awaited.
    socket.on('timeout', () => {
      const req = this.#current?.req;
      this.close(
        new Error(req?.timeoutMessage ?? `TimeoutError: no answer from ${host} in ${req?.timeoutMs} ms`),
      );
    });
  }

  /** Requests written and not yet answered. */
  get inFlight(): number {
    return this.#current === null ? 0 : 1 + this.#behind.length;
  }

  /** Writes the request; the pool calls it only with room on the socket (nothing in flight unless pipelined). */
  start(pending: Pending): void {
    const { req, head } = pending;
    const socket = this.socket;
    if (this.#current) this.#behind.push(pending);
    else {
      this.#current = pending;
      this.#parser.reset(req.method === 'HEAD');
      socket.ref();
      if (req.timeoutMs) socket.setTimeout(req.timeoutMs);
    }
    if (req.signal) {
      const signal = req.signal;
      pending.onAbort = () => this.close(signal.reason, pending);
      signal.addEventListener('abort', pending.onAbort, { once: true });
    }
    let sent: (() => void) | undefined;
    if (this.pipelined) {
      // The first write of the tick corks the socket and the next tick uncorks it: one writev for all, or
      // one every WRITE_EVERY requests.
      if (!this.#corked) {
        this.#corked = true;
        this.#inCork = 0;
        socket.cork();
        if (!this.#tick) {
          this.#tick = true;
          process.nextTick(this.#uncork);
        }
      }
      sent = () => {
        pending.sent = true;
      };
    }
    const body = req.body;
    if (body === undefined || body.length === 0) socket.write(head, 'latin1', sent);
    else if (typeof body === 'string') socket.write(head + body, 'utf8', sent);
    else if (body.byteLength <= 16_384) {
      const out = Buffer.allocUnsafe(head.length + body.byteLength);
      out.write(head, 0, 'latin1');
      out.set(body, head.length);
      socket.write(out, sent);
    } else {
      socket.cork();
      socket.write(head, 'latin1');
      socket.write(body, sent);
      process.nextTick(() => socket.uncork());
    }
    if (this.#corked && ++this.#inCork >= WRITE_EVERY) {
      this.#corked = false;
      socket.uncork();
    }
  }

  /**
   * Ends the socket. `error` (a hang-up if null) fails the request it concerns, `culprit`: the head of the
   * line by default, or every one ('all'); any other in flight fails with a hang-up.
   */
  close(error: Error | null = null, culprit: Pending | 'all' | null = this.#current): void {
    this.#fail(error ?? hangUp(), culprit);
    this.socket.destroy();
  }

  #data(chunk: Buffer): void {
    // One chunk may end one answer and carry the next ones (pipelining): each goes to the next in line.
    let data = chunk;
    for (;;) {
      const current = this.#current;
      if (!current) {
        // Bytes nobody asked for: the socket is out of step.
        this.close();
        return;
      }
      let res: Http1Response | null;
      try {
        res = this.#parser.feed(data);
      } catch (error) {
        this.close(error as Error);
        return;
      }
      if (!res) return;
      data = this.#parser.rest;
      this.#settle(current);
      this.#current = null;
      // An answer that came before its request was all written (a 413, say) leaves the socket out of step.
      // (Pipelined, later requests may still be buffered: the answered one's own write must be done.)
      const written = this.pipelined ? current.sent === true : this.socket.writableLength === 0;
      const reusable = this.#parser.keepAlive && written && !this.#closed;
      current.resolve(res);
      if (!reusable) {
        this.close(); // those behind it, if any, fail with a hang-up
        return;
      }
      const next = this.#behind.shift();
      if (!next) {
        // Bytes after the answer with nothing in flight: out of step, as above.
        if (data.length > 0) this.close();
        else {
          this.socket.setTimeout(0);
          this.socket.unref();
          this.pool.free(this);
        }
        return;
      }
      // The next in line is the head now: its answer is read, its timeout runs.
      this.#current = next;
      this.#parser.reset(next.req.method === 'HEAD');
      this.socket.setTimeout(next.req.timeoutMs ?? 0);
      this.pool.free(this);
      if (data.length === 0) return;
    }
  }

  /**
   * The socket ended or failed: every request in flight fails, `culprit` with `error`, the others with a
   * hang-up (an answer read to the close is complete: it resolves).
   */
  #fail(error: Error | null, culprit: Pending | 'all' | null = this.#current): void {
    const current = this.#current;
    if (current) {
      this.#settle(current);
      this.#current = null;
      const res = error === null ? this.#parser.end() : null;
      if (res) current.resolve(res);
      else current.reject((culprit === current || culprit === 'all') && error ? error : hangUp());
    }
    if (this.#behind.length > 0)
      for (const pending of this.#behind.splice(0)) {
        this.#settle(pending);
        pending.reject((culprit === pending || culprit === 'all') && error ? error : hangUp());
      }
    if (!this.#closed) {
      this.#closed = true;
      this.socket.destroy();
      this.pool.closed(this);
    }
  }

  /** The request is answered or failed: its signal no longer concerns the socket. */
  #settle(pending: Pending): void {
    if (pending.onAbort) pending.req.signal?.removeEventListener('abort', pending.onAbort);
    pending.onAbort = undefined;
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
  /** Once the answer is complete: the bytes of the chunk after it (the next pipelined answer's), or none. */
  rest: Buffer = EMPTY;
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
    this.rest = EMPTY;
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

  /**
   * The answer once complete (the bytes after it in `rest`), else null (more to come). Throws at a malformed
   * answer.
   */
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
      this.rest = data.subarray(this.#remaining);
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
          this.rest = data;
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
