import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionsAnswer, ConnectionsCall, FrameBatch } from './connections-api';
import { CONNECTIONS_PREFIX } from './connections-api';
import { WS_LIMITS } from './limits';

/**
 * The Management API's hot path on the stack's port, read off the socket without `node:http`: every
 * fan-out's posts are HTTP/1.1 requests to `/local/@connections/{id}`, and the handlers' client sends those
 * of one tick pipelined in one write (shared/adapters/aws/http1.ts, `pipeline`). This reader parses every
 * call a chunk holds, answers each at once (connections-api.ts `answer`: SigV4 checked, the frame sent),
 * and writes the chunk's answers in one write: a burst of posts costs the emulator's thread one read and
 * one write, not a read, a request object, a response object and a write each. The WebSocket frames it
 * sends go out back to back, so the receiving side wakes once for many.
 *
 * It takes a connection whose first bytes are a Management API call, and only the plain shape of one:
 * HTTP/1.1, POST, GET or DELETE under the prefix, a content-length body within the limit, no
 * transfer-encoding, no `expect`. At the first request that is anything else (another path, a body too
 * large, a chunked one), it hands the connection, from that request on, to `node:http` (`handOff`), which
 * answers it as it answers every other request: the same answers, the rare shapes included, one code path
 * deciding them (connections-api.ts).
 */
export interface ConnectionsWireOptions {
  answer(call: ConnectionsCall, batch: FrameBatch): ConnectionsAnswer;
  /** A batch for the frames of one chunk's posts, sent once the chunk's calls are answered. */
  batch(): FrameBatch;
  /** Gives the socket, and the bytes read but not answered, to `node:http`. */
  handOff(socket: Socket, unread: Buffer): void;
  /** Called once the socket is closed. */
  closed(socket: Socket): void;
  onError(error: unknown): void;
}

/** Whether a connection's first bytes may be a Management API call: true, false, or null (too few to tell). */
export function isConnectionsCall(data: Buffer): boolean | null {
  for (const method of SNIFF) {
    const n = Math.min(data.length, method.length);
    if (data.compare(method, 0, n, 0, n) === 0) return n === method.length ? true : null;
  }
  return false;
}

const SNIFF = ['POST ', 'GET ', 'DELETE '].map((m) => Buffer.from(`${m}${CONNECTIONS_PREFIX}`, 'latin1'));

/** An idle kept-alive connection is closed after this long, as `node:http` closes its own (keepAliveTimeout). */
const KEEP_ALIVE_MS = 5_000;
const MAX_HEAD_BYTES = 16 * 1024;
const CRLF2 = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);

export interface WireConnection {
  /** Closes the connection unless a call is part-read (the stack stops: in-flight calls finish first). */
  closeIfIdle(): void;
}

/** Reads and answers the Management API calls of one socket, starting with `first`. */
export function serveConnectionsWire(
  socket: Socket,
  first: Buffer,
  options: ConnectionsWireOptions,
): WireConnection {
  let pending: Buffer = EMPTY;
  let done = false;
  /** The stack is stopping: close once the part-read call is answered. */
  let closeWhenIdle = false;
  socket.setNoDelay(true);
  socket.setTimeout(KEEP_ALIVE_MS);
  const onData = (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let out = '';
    let close = false;
    const batch = options.batch();
    try {
      for (;;) {
        const call = nextCall(pending);
        if (call === null) break; // the rest of a call is still to come
        if (call === HAND_OFF) {
          stop();
          batch.send();
          if (out) socket.write(out);
          const unread = pending;
          pending = EMPTY;
          options.handOff(socket, unread);
          return;
        }
        pending = pending.subarray(call.length);
        const answer = options.answer(call.call, batch);
        out += serialize(answer, call.close);
        if (call.close) {
          close = true;
          break;
        }
      }
    } catch (error) {
      // A fault of the stack, not of the request: one 500, and the connection is not trusted further.
      options.onError(error);
      out += serialize(
        {
          status: 500,
          headers: { 'content-type': 'application/json' },
          body: '{"message":"Internal Server Error"}',
        },
        true,
      );
      close = true;
    }
    try {
      batch.send();
    } catch (error) {
      options.onError(error);
    }
    if (out) socket.write(out);
    if (closeWhenIdle && pending.length === 0) close = true;
    if (close) {
      stop();
      socket.end();
    }
  };
  const stop = () => {
    done = true;
    socket.off('data', onData);
    socket.off('timeout', onTimeout);
    socket.setTimeout(0);
  };
  const onTimeout = () => socket.destroy();
  socket.on('data', onData);
  socket.on('timeout', onTimeout);
  socket.on('error', () => socket.destroy());
  socket.once('close', () => options.closed(socket));
  onData(first);
  return {
    closeIfIdle() {
      if (!done && pending.length === 0) socket.destroy();
      else if (!done) closeWhenIdle = true;
    },
  };
}

const HAND_OFF = Symbol('hand off');

interface ParsedCall {
  call: ConnectionsCall;
  /** Bytes of the request, head and body. */
  length: number;
  /** The client asked to close after this answer. */
  close: boolean;
}

/** The call at the start of `data`, null when it is not all there yet, HAND_OFF when it is not a plain one. */
function nextCall(data: Buffer): ParsedCall | null | typeof HAND_OFF {
  if (data.length === 0) return null;
  if (isConnectionsCall(data) === false) return HAND_OFF;
  const end = data.indexOf(CRLF2);
  if (end === -1) return data.length > MAX_HEAD_BYTES ? HAND_OFF : null;
  const lines = data.toString('latin1', 0, end).split('\r\n');
  const requestLine = lines[0]!.split(' ');
  if (requestLine.length !== 3 || requestLine[2] !== 'HTTP/1.1') return HAND_OFF;
  const [method, url] = requestLine as [string, string];
  const rawHeaders: string[] = [];
  let length = 0;
  let close = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) return HAND_OFF; // node:http answers a malformed head (400)
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    const lower = name.toLowerCase();
    if (lower === 'content-length') {
      if (!/^\d+$/.test(value)) return HAND_OFF;
      length = Number(value);
    } else if (lower === 'transfer-encoding' || lower === 'expect') return HAND_OFF;
    else if (lower === 'connection') close = /(?:^|,)\s*close\s*(?:,|$)/i.test(value);
    rawHeaders.push(name, value);
  }
  if (length > WS_LIMITS.maxMessageBytes) return HAND_OFF; // node:http's path answers the 413
  const total = end + 4 + length;
  if (data.length < total) return null;
  const query = url.indexOf('?');
  return {
    call: {
      method,
      url,
      rawPath: query === -1 ? url : url.slice(0, query),
      rawHeaders,
      body: data.subarray(end + 4, total),
    },
    length: total,
    close,
  };
}

/** An answer as `node:http` writes it: status line, headers, a date, the keep-alive headers, the body. */
function serialize(answer: ConnectionsAnswer, close: boolean): string {
  let head = `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ''}\r\n`;
  for (const name in answer.headers) head += `${name}: ${answer.headers[name]}\r\n`;
  if (answer.status !== 204 && answer.headers['content-length'] === undefined) {
    head += `content-length: ${Buffer.byteLength(answer.body)}\r\n`;
  }
  head += `date: ${httpDate()}\r\n`;
  head += close
    ? 'connection: close\r\n'
    : `connection: keep-alive\r\nkeep-alive: timeout=${KEEP_ALIVE_MS / 1000}\r\n`;
  return `${head}\r\n${answer.body}`;
}

let dateSecond = 0;
let dateText = '';
/** The Date header's value, made once a second. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}
