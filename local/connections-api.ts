import type { IncomingMessage, ServerResponse } from 'node:http';
import { closes } from './close-codes';
import type { ConnectionRegistry, SocketControl } from './connection-registry';
import type { LocalCredentials } from './credentials';
import { BodyTooLargeError, readBody } from './http-util';
import { awsStyleId, WS_STAGE } from './ids';
import { WS_LIMITS } from './limits';
import { type SignedRequest, verifySigV4 } from './sigv4';

/**
 * The Management API of the stage: `POST|GET|DELETE /local/@connections/{id}`, answering what
 * `@aws-sdk/client-apigatewaymanagementapi` expects so that it works unchanged. Every call must be
 * SigV4-signed with the stack's credentials for service `execute-api` (403 as AWS answers otherwise:
 * see sigv4.ts); then 410 GoneException for an unknown connection and for one still inside `$connect`,
 * 413 past 128 KB, 429 LimitExceededException while the connection's unsent data is over
 * `maxBufferedBytes` (a client that does not read), GET as `{connectedAt, identity, lastActiveAt}`.
 *
 * One call is answered by `answer`, synchronously, from the request's parts and its whole body. Two
 * transports feed it: `handle`, on `node:http` (any client, any request shape), and the stack's own HTTP/1.1
 * reader of pipelined posts (connections-wire.ts), which answers a chunk's calls in one write.
 */
export const CONNECTIONS_PREFIX = `/${WS_STAGE}/@connections/`;

export interface ConnectionsApiOptions {
  registry: ConnectionRegistry;
  credentials: LocalCredentials;
  region: string;
  /** Unsent bytes one connection may hold; a post beyond them answers 429 and sends nothing. */
  maxBufferedBytes: number;
}

/** One call: the signed request's parts (`url` as it came, query and all), its path without the query. */
export interface ConnectionsCall extends SignedRequest {
  rawPath: string;
  body: Buffer;
}

/** What the call is answered: a status, headers, and a body (JSON text, or empty). */
export interface ConnectionsAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface ConnectionsApi {
  /**
   * The answer to one call whose body has been read whole (and is within the limit). Given a batch, a
   * post's frame waits in it until `FrameBatch.send` (the caller sends it before anything else can happen).
   */
  answer(call: ConnectionsCall, batch?: FrameBatch): ConnectionsAnswer;
  /** The call on `node:http`: reads the body (413 past the limit), answers it. */
  handle(req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void>;
  /** A batch for the posts of one chunk of calls. */
  batch(): FrameBatch;
}

export function createConnectionsApi(options: ConnectionsApiOptions): ConnectionsApi {
  const { registry, maxBufferedBytes } = options;
  const scope = { credentials: options.credentials, region: options.region, service: 'execute-api' };

  function answer(call: ConnectionsCall, batch?: FrameBatch): ConnectionsAnswer {
    const id = callTarget(call.method, call.rawPath);
    if (typeof id !== 'string') return id;
    // An unsigned call gets the verifier's 403, the same MissingAuthenticationTokenException.
    const signature = verifySigV4(call, call.body, scope);
    if (!signature.ok) return error(403, signature.type, signature.message);

    const connection = registry.open(id);
    if (!connection) return error(410, 'GoneException', 'Gone');
    switch (call.method) {
      case 'POST': {
        // API Gateway: "the WebSocket client side buffer is full" is a 429 LimitExceededException; the
        // connection stays open, and the data of that post is not sent.
        const socket = connection.socket;
        if (socket.bufferedBytes + (batch?.bytesFor(socket) ?? 0) + call.body.length > maxBufferedBytes) {
          return error(429, 'LimitExceededException', 'Limit Exceeded');
        }
        if (batch) batch.add(socket, call.body);
        else {
          socket.send(call.body);
          registry.noteBuffered(socket.bufferedBytes);
        }
        return json(200, undefined);
      }
      case 'GET':
        return json(200, {
          connectedAt: new Date(connection.connectedAt).toISOString(),
          identity: {
            sourceIp: connection.identity.sourceIp,
            ...(connection.identity.userAgent ? { userAgent: connection.identity.userAgent } : {}),
          },
          lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
        });
      default:
        batch?.send(); // the frames posted before the close go first
        connection.socket.close(closes.deleted);
        return json(204, undefined);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
    const method = req.method ?? '';
    // Refused before the body is read: a call without a signature or to no connection reads nothing.
    if (req.headers.authorization === undefined) return write(res, missingToken());
    const target = callTarget(method, rawPath);
    if (typeof target !== 'string') return write(res, target);
    let body: Buffer;
    try {
      body = await readBody(req, WS_LIMITS.maxMessageBytes);
    } catch (e) {
      if (!(e instanceof BodyTooLargeError)) throw e;
      return write(res, error(413, 'PayloadTooLargeException', 'Message too long'));
    }
    write(res, answer({ method, url: req.url ?? '/', rawHeaders: req.rawHeaders, rawPath, body }));
  }

  return { answer, handle, batch: () => new FrameBatch(registry) };
}

/**
 * The frames of a chunk's posts, sent together once every call of the chunk is answered: back to back, the
 * client side of the WebSockets wakes once for many of them rather than once a frame (each wake-up on
 * loopback costs the sending thread as much as the write), and the checks between them do not space them out.
 */
export class FrameBatch {
  readonly #frames: { socket: SocketControl; body: Buffer }[] = [];
  readonly #bytes = new Map<SocketControl, number>();

  constructor(private readonly registry: ConnectionRegistry) {}

  /** Bytes waiting here for the socket: they count against its buffer as if sent. */
  bytesFor(socket: SocketControl): number {
    return this.#bytes.get(socket) ?? 0;
  }

  add(socket: SocketControl, body: Buffer): void {
    this.#frames.push({ socket, body });
    this.#bytes.set(socket, this.bytesFor(socket) + body.length);
  }

  /** Sends what waits, in the order posted. */
  send(): void {
    for (const { socket, body } of this.#frames) {
      socket.send(body);
      this.registry.noteBuffered(socket.bufferedBytes);
    }
    this.#frames.length = 0;
    this.#bytes.clear();
  }
}

/**
 * The connection id a call names, or API Gateway's 403 for an id that does not decode, a sub-path or another
 * method.
 */
function callTarget(method: string, rawPath: string): string | ConnectionsAnswer {
  const encoded = rawPath.slice(CONNECTIONS_PREFIX.length);
  const id = decodeId(encoded);
  if (id === null || encoded.includes('/') || !METHODS.has(method)) return missingToken();
  return id;
}

const METHODS = new Set(['POST', 'GET', 'DELETE']);

function decodeId(encoded: string): string | null {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return null;
  }
}

function write(res: ServerResponse, answer: ConnectionsAnswer): void {
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): ConnectionsAnswer {
  const text = body === undefined ? '' : JSON.stringify(body);
  return {
    status,
    headers: {
      ...(text
        ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) }
        : {}),
      ...headers,
      // Every answer carries a new request id, as AWS's do.
      'x-amzn-RequestId': awsStyleId(),
    },
    body: text,
  };
}

/** The SDK picks the exception class from `x-amzn-ErrorType`. */
const error = (status: number, type: string, message: string): ConnectionsAnswer =>
  json(status, { message }, { 'x-amzn-ErrorType': type });

const missingToken = () => error(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
